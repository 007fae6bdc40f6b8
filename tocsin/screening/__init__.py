"""Screening against sanctions and watch lists.

Lists (UN Security Council, OFAC SDN, EU financial sanctions, any FollowTheMoney
entity file) are imported as versions (:mod:`.lists`); subjects are matched
against the active versions with an explained scorer built on ``rigour`` and
``followthemoney`` (:mod:`.matching`); judgements, re-screens and alerts live in
:mod:`.service`.
"""
