#!/usr/bin/env python3
"""Checks po/POTFILES.in against the source tree.

Fails when a source file holding translatable strings is not listed, when a
listed file does not exist, or when a file is listed twice.

Usage: check-potfiles.py SOURCE_ROOT [--update]
  --update  rewrite po/POTFILES.in with the files found (then review the diff)
"""
import pathlib
import re
import sys

# Code: _("…"), N_("…"), C_("ctx", "…"), NC_(…), Q_(…), ngettext/g_dngettext.
CODE_MARK = re.compile(r'(?<![A-Za-z0-9_])(?:N|C|NC|Q)?_\s*\(|\bg?_?d?ngettext\s*\(')
UI_MARK = re.compile(r'translatable\s*=\s*"(?:yes|true|1)"')
CODE_DIRS = ('net', 'media', 'app', 'ui')
# Data files that xgettext always extracts strings from.
DATA_PATTERNS = ('*.desktop.in', '*.metainfo.xml.in', '*.appdata.xml.in', '*.gschema.xml')


def translatable_files(root):
    found = set()
    for top in CODE_DIRS:
        base = root / top
        if not base.is_dir():
            continue
        for path in base.rglob('*'):
            if not path.is_file():
                continue
            if path.suffix == '.c':
                mark = CODE_MARK
            elif path.suffix == '.ui':
                mark = UI_MARK
            else:
                continue
            if mark.search(path.read_text(encoding='utf-8', errors='replace')):
                found.add(path.relative_to(root).as_posix())
    data = root / 'data'
    for pattern in DATA_PATTERNS:
        for path in data.rglob(pattern):
            found.add(path.relative_to(root).as_posix())
    for path in data.rglob('*.ui'):
        if UI_MARK.search(path.read_text(encoding='utf-8', errors='replace')):
            found.add(path.relative_to(root).as_posix())
    return found


def listed_files(potfiles):
    listed = []
    for line in potfiles.read_text(encoding='utf-8').splitlines():
        line = line.strip()
        if line and not line.startswith('#'):
            listed.append(line)
    return listed


def update(root, potfiles):
    found = sorted(translatable_files(root), key=lambda n: (not n.startswith('data/'), n))
    header = '# Files with translatable strings, one per line (checked by tests/data/check-potfiles.py).\n'
    potfiles.write_text(header + '\n'.join(found) + '\n', encoding='utf-8')
    print(f'wrote {potfiles} ({len(found)} files)')
    return 0


def main():
    args = [a for a in sys.argv[1:] if not a.startswith('--')]
    root = pathlib.Path(args[0] if args else '.').resolve()
    potfiles = root / 'po' / 'POTFILES.in'
    if '--update' in sys.argv:
        return update(root, potfiles)
    if not potfiles.is_file():
        print(f'FAIL: {potfiles} does not exist')
        return 1

    listed = listed_files(potfiles)
    problems = []
    seen = set()
    for name in listed:
        if name in seen:
            problems.append(f'{name}: listed twice in po/POTFILES.in')
        seen.add(name)
        if not (root / name).is_file():
            problems.append(f'{name}: listed in po/POTFILES.in but does not exist')
    for name in sorted(translatable_files(root) - seen):
        problems.append(f'{name}: has translatable strings but is missing from po/POTFILES.in')

    if problems:
        print('\n'.join('FAIL: ' + p for p in problems))
        return 1
    print(f'OK: po/POTFILES.in lists all {len(seen)} files with translatable strings')
    return 0


if __name__ == '__main__':
    sys.exit(main())
