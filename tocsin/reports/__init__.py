"""Reports for people who prefer paper: HTML and PDF with server-side charts.

Charts are drawn with matplotlib as inline SVG, so the PDF (weasyprint) needs
no JavaScript and the HTML reads offline.
"""
