#!/usr/bin/env python3
"""Canonical JSON of SyncML XML documents, parsed by Python's expat-based ElementTree: an oracle
independent of our decoder. Each element becomes [name, text, children]: name is the local name
prefixed by the code-page family of its namespace (syncml/metinf/ddf/other), text is the stripped
character data (CDATA included), whitespace-only text is dropped. Usage: xmlcanon.py FILE..."""
import json, sys
import xml.etree.ElementTree as ET

FAMILY = {'syncml:syncml1.2': 'syncml', 'syncml:syncml1.1': 'syncml', '': 'syncml',
          'syncml:metinf': 'metinf', 'syncml:dmddf1.2': 'ddf'}

def canon(e):
    ns, local = ('', e.tag)
    if e.tag.startswith('{'):
        ns, local = e.tag[1:].split('}', 1)
    fam = FAMILY.get(ns.lower(), 'other:' + ns)
    text = (e.text or '').strip()
    return [fam + ':' + local, text, [canon(c) for c in e]]

out = []
for path in sys.argv[1:]:
    out.append(canon(ET.parse(path).getroot()))
print(json.dumps(out))
