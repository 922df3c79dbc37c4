#!/usr/bin/env python3
"""Lists the localizable string keys of the SwiftUI app (the literals passed to Text, Button,
Label, Toggle, TextField, SecureField, Section, Picker, navigationTitle and String(localized:))
in Xcode's key form (interpolations become %lld / %@), and checks that
App/GridworkApp/Localizable.xcstrings translates every one into zh-Hans (and has no stale key).

usage: ios-shell/tools/strings.py [--list]      exit 1 when a key is missing or stale
Xcode fills the catalogue the same way when it builds (SWIFT_EMIT_LOC_STRINGS); this check
runs without Xcode (docs/mobile.md, "iOS")."""
import json, pathlib, re, sys

HERE = pathlib.Path(__file__).resolve().parent.parent / "App" / "GridworkApp"
CALLS = r'(?:\bText|\bButton|\bLabel|\bToggle|\bTextField|\bSecureField|\bSection|\bPicker|\.navigationTitle)\(\s*'
LITERAL = re.compile(r'(?:' + CALLS + r'|String\(localized:\s*)"((?:[^"\\]|\\.)*)"')
INTS = re.compile(r'^(count|Int\(.*\)|.*\.count( \?\? 0)?|m\.fixesOffered)$')

def key(lit: str) -> str:
    out, i = [], 0
    while i < len(lit):
        if lit.startswith('\\(', i):
            depth, j = 1, i + 2
            while depth:
                depth += {'(': 1, ')': -1}.get(lit[j], 0)
                j += 1
            expr = lit[i + 2:j - 1]
            out.append('%lld' if INTS.match(expr) else '%@')
            i = j
        elif lit.startswith('\\', i):
            out.append(lit[i + 1]); i += 2
        else:
            out.append(lit[i]); i += 1
    return ''.join(out)

def keys():
    found = set()
    for f in sorted(HERE.glob('*.swift')):
        text = f.read_text()
        for m in LITERAL.finditer(text):
            k = key(m.group(1))
            if k.strip():
                found.add(k)
    return found

def main():
    want = keys()
    if '--list' in sys.argv:
        print('\n'.join(sorted(want)))
        return 0
    catalog = json.loads((HERE / 'Localizable.xcstrings').read_text())
    have = catalog['strings']
    missing = sorted(k for k in want if k not in have
                     or 'zh-Hans' not in have[k].get('localizations', {}))
    stale = sorted(k for k in have if k not in want)
    for k in missing: print(f'missing zh-Hans: {k!r}')
    for k in stale: print(f'stale key: {k!r}')
    print(f'{len(want)} keys, {len(missing)} missing, {len(stale)} stale')
    return 1 if missing or stale else 0

sys.exit(main())
