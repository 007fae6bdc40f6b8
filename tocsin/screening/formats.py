"""The list formats Tocsin reads (kept apart so the command line loads no parser to list them)."""

from __future__ import annotations

#: Format name → what it reads.
FORMATS = {
    "un": "UN Security Council consolidated list (XML)",
    "ofac_csv": "OFAC SDN legacy CSV set (sdn.csv, add.csv, alt.csv)",
    "ofac_xml": "OFAC SDN XML (advanced SDN_ADVANCED.XML, enhanced SDN_ENHANCED.XML or "
                "classic sdn.xml)",
    "eu": "EU consolidated financial sanctions list (XML)",
    "uk": "UK Sanctions List (XML, UK_Sanctions_List.xml)",
    "ofsi": "OFSI Consolidated List of Financial Sanctions Targets (XML, ConList.xml; closed "
            "January 2026)",
    "ftm": "FollowTheMoney entities (JSON lines, OpenSanctions exports)",
}
