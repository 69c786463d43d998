"""Column P of the benchmark: what an admin would write instead of adsync (Debian's python3-ldap).

Paged searches with SimplePagedResultsControl over the same bases and attributes as B, the first
value of each attribute written as a CSV row with the csv module (CRLF, minimal quoting).

/usr/bin/python3 scripts/bench/python-ldap.py URL BIND_DN PASSWORD OUT.csv PAGE_SIZE BASE... -- ATTRIBUTE...
"""
import csv
import sys

import ldap
from ldap.controls import SimplePagedResultsControl

url, bind_dn, password, out, page_size, *rest = sys.argv[1:]
bases, attributes = rest[: rest.index("--")], rest[rest.index("--") + 1 :]
conn = ldap.initialize(url)
conn.simple_bind_s(bind_dn, password)
with open(out, "w", newline="", encoding="utf-8") as f:
    writer = csv.writer(f)
    for base in bases:
        page = SimplePagedResultsControl(True, size=int(page_size), cookie="")
        while True:
            msgid = conn.search_ext(base, ldap.SCOPE_SUBTREE, "(objectClass=inetOrgPerson)", attributes, serverctrls=[page])
            _, entries, _, controls = conn.result3(msgid)
            for _, attrs in entries:
                writer.writerow([attrs[a][0].decode("utf-8") if a in attrs else "" for a in attributes])
            cookie = next((c.cookie for c in controls if c.controlType == SimplePagedResultsControl.controlType), b"")
            if not cookie:
                break
            page.cookie = cookie
conn.unbind_s()
