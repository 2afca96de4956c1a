#!/usr/bin/env python3
"""Checks that every language in po/LINGUAS is complete.

Extracts a fresh template from po/POTFILES.in with xgettext (the same keywords
as meson's glib preset), merges each LANG.po into it and runs
`msgfmt --check --statistics`. Fails on a format error, or when a language has
untranslated or fuzzy messages against the current sources.

Usage: check-translations.py SOURCE_ROOT
"""
import os
import pathlib
import re
import subprocess
import sys
import tempfile

XGETTEXT_ARGS = [
    '--package-name=lattice', '--from-code=UTF-8', '--add-comments',
    '--keyword=_', '--keyword=N_', '--keyword=C_:1c,2', '--keyword=NC_:1c,2',
    '--keyword=Q_', '--keyword=g_dcgettext:2', '--keyword=g_dngettext:2,3',
    '--keyword=g_dpgettext2:2c,3',
    '--flag=N_:1:pass-c-format', '--flag=C_:2:pass-c-format',
    '--flag=NC_:2:pass-c-format', '--flag=g_dngettext:2:pass-c-format',
    '--flag=g_strdup_printf:1:c-format', '--flag=g_string_printf:2:c-format',
    '--flag=g_string_append_printf:2:c-format', '--flag=g_error_new:3:c-format',
    '--flag=g_set_error:4:c-format', '--flag=g_markup_printf_escaped:1:c-format',
    '--flag=g_printerr:1:c-format', '--flag=g_print:1:c-format',
]
STATS = re.compile(r'(\d+) translated messages?(?:, (\d+) fuzzy translations?)?'
                   r'(?:, (\d+) untranslated messages?)?')


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else '.').resolve()
    po = root / 'po'
    linguas = [l.strip() for l in (po / 'LINGUAS').read_text().splitlines()
               if l.strip() and not l.startswith('#')]
    if not linguas:
        print('FAIL: po/LINGUAS lists no language')
        return 1

    env = dict(os.environ, LC_ALL='C')
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        pot = pathlib.Path(tmp) / 'lattice.pot'
        r = run(['xgettext', *XGETTEXT_ARGS, '-D', str(root), '-f', str(po / 'POTFILES.in'),
                 '-o', str(pot)], env=env)
        if r.returncode != 0 or not pot.exists():
            print('FAIL: xgettext could not extract the template:\n' + r.stderr)
            return 1
        total = run(['msgattrib', '--no-obsolete', str(pot)], env=env).stdout.count('\nmsgid ') - 1
        print(f'template: {total} messages')

        for lang in linguas:
            src = po / f'{lang}.po'
            if not src.is_file():
                print(f'FAIL {lang}: po/{lang}.po does not exist')
                failed = True
                continue
            merged = pathlib.Path(tmp) / f'{lang}.po'
            r = run(['msgmerge', '--quiet', '--no-wrap', '-o', str(merged), str(src), str(pot)], env=env)
            if r.returncode != 0:
                print(f'FAIL {lang}: msgmerge failed:\n{r.stderr}')
                failed = True
                continue
            r = run(['msgfmt', '--check', '--statistics', '-o', os.devnull, str(merged)], env=env)
            m = STATS.search(r.stderr)
            translated, fuzzy, untranslated = (int(g or 0) for g in m.groups()) if m else (0, 0, 0)
            ok = r.returncode == 0 and m is not None and fuzzy == 0 and untranslated == 0
            print(f'{"ok  " if ok else "FAIL"} {lang}: {r.stderr.strip()}')
            if not ok:
                failed = True
                if r.returncode != 0:
                    print(r.stderr)
                # Name the messages that need work, so the failure is actionable.
                todo = run(['msgattrib', '--only-fuzzy', '--no-wrap', str(merged)], env=env).stdout + \
                    run(['msgattrib', '--untranslated', '--no-wrap', str(merged)], env=env).stdout
                todo = [l[6:] for l in todo.splitlines() if l.startswith('msgid "') and l != 'msgid ""']
                for msgid in todo[:15]:
                    print(f'    needs translation: {msgid}')
                if len(todo) > 15:
                    print(f'    … and {len(todo) - 15} more')
        if failed:
            print('Update with: meson compile -C BUILDDIR lattice-update-po, then translate.')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
