"""Names of the bundled sample posts (rag/data/sample_posts), shared by the tests that ask about them."""

P000, P001, P002, P003, P004 = (
    "000_79c2aa9b5e62a04e.txt",  # Wang Zefeng's CNCF Lifetime Achievement Award (2025)
    "001_3e8a50fa446efe54.txt",  # Zhang Lei joins the CNCF TOC: "11 seats" (HTML body)
    "002_d419b0ea7be1a919.txt",  # the same story scraped with page chrome: "one of 9"
    "003_1b2938f7d4bfcfbf.txt",  # KubeSphere community 2021 recap
    "004_821f261b823a22f5.txt",  # Kubernetes: from a federation of bazaars to AI (front matter in a comment)
)
