#!/usr/bin/env python3
"""Installs the build into a temporary DESTDIR and checks what landed there.

Usage: check-install.py BUILDDIR APP_ID
Runs `meson install -C BUILDDIR --destdir TMP --no-rebuild` (registered with
is_parallel: false, as it reads the whole build dir).
"""
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

BINARIES = ['lattice', 'lattice-server', 'lattice-peer']
LANGUAGES = ['de', 'fr', 'es']
# Catalog strings and their German translations: one from the desktop file,
# one from C code.
PROBES_DE = [('Video Meetings', 'Videokonferenzen'), ('The room is full', 'Der Raum ist voll')]

failures = []


def fail(msg):
    print(f'FAIL: {msg}')
    failures.append(msg)


def ok(msg):
    print(f'ok:   {msg}')


def run(cmd, env=None, timeout=30):
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)


def introspect(builddir, what):
    r = run(['meson', 'introspect', str(builddir), what])
    return json.loads(r.stdout)


def expect_file(path, what):
    if path.is_file() and path.stat().st_size > 0:
        ok(f'{what}: {path.name}')
        return True
    fail(f'{what} not installed: {path}')
    return False


def check_binaries(dest, bindir, installed):
    # Binaries are looked for in the install plan, so one that the build
    # defines but fails to install is an error, one not written yet a notice.
    planned = {pathlib.Path(p).name for p in installed.values()}
    for name in BINARIES:
        path = dest / bindir.relative_to('/') / name
        if name not in planned:
            print(f'skip: {name} is not built yet (no such install target)')
            continue
        if not path.is_file() or not os.access(path, os.X_OK):
            fail(f'{name} planned for install but missing at {path}')
            continue
        if name == 'lattice':
            ok(f'{name} installed')  # the GTK app needs a display for --help
            continue
        r = run([str(path), '--help'])
        if r.returncode == 0 and 'Usage' in r.stdout + r.stderr:
            ok(f'{name} --help answers')
        else:
            fail(f'{name} --help exited {r.returncode}: {r.stdout}{r.stderr}')


def check_data(dest, datadir, app_id):
    share = dest / datadir.relative_to('/')
    desktop = share / 'applications' / f'{app_id}.desktop'
    if expect_file(desktop, 'desktop file'):
        text = desktop.read_text(encoding='utf-8')
        for lang in LANGUAGES:
            if f'GenericName[{lang}]=' not in text:
                fail(f'desktop file has no GenericName[{lang}]')
        if f'Icon={app_id}\n' not in text:
            fail(f'desktop file does not name the icon {app_id}')
    metainfo = share / 'metainfo' / f'{app_id}.metainfo.xml'
    if expect_file(metainfo, 'metainfo'):
        text = metainfo.read_text(encoding='utf-8')
        for lang in LANGUAGES:
            if f'xml:lang="{lang}"' not in text:
                fail(f'metainfo has no {lang} translation')
        if f'<id>{app_id}</id>' not in text:
            fail(f'metainfo id is not {app_id}')
    expect_file(share / 'icons/hicolor/scalable/apps' / f'{app_id}.svg', 'app icon')
    expect_file(share / 'icons/hicolor/symbolic/apps' / f'{app_id}-symbolic.svg', 'symbolic icon')

    schemas = share / 'glib-2.0' / 'schemas'
    if expect_file(schemas / 'io.github.latticecall.Lattice.gschema.xml', 'GSettings schema'):
        with tempfile.TemporaryDirectory() as compiled:
            r = run(['glib-compile-schemas', '--strict', '--targetdir', compiled, str(schemas)])
            if r.returncode != 0:
                fail(f'installed schemas do not compile: {r.stderr}')
            else:
                env = dict(os.environ, GSETTINGS_SCHEMA_DIR=compiled, GSETTINGS_BACKEND='memory')
                r = run(['gsettings', 'get', 'io.github.latticecall.Lattice', 'host-port'], env=env)
                if r.stdout.strip() == 'uint32 8787':
                    ok('installed schema compiles and reads host-port 8787')
                else:
                    fail(f'gsettings on the installed schema: {r.stdout}{r.stderr}')
    return share


def check_locale(share):
    locale = share / 'locale'
    for lang in LANGUAGES:
        expect_file(locale / lang / 'LC_MESSAGES' / 'lattice.mo', f'{lang} catalog')
    # LANGUAGE is ignored in the C locale, so use C.UTF-8.
    env = dict(os.environ, LC_ALL='C.UTF-8', LANGUAGE='de', TEXTDOMAINDIR=str(locale))
    for msgid, expected in PROBES_DE:
        r = run(['gettext', '-d', 'lattice', msgid], env=env)
        if r.stdout == expected:
            ok(f'"{msgid}" reads "{r.stdout}" with LANGUAGE=de')
        else:
            fail(f'"{msgid}" with LANGUAGE=de gave "{r.stdout}", expected "{expected}"')


def main():
    builddir = pathlib.Path(sys.argv[1]).resolve()
    app_id = sys.argv[2]
    options = {o['name']: o['value'] for o in introspect(builddir, '--buildoptions')}
    prefix = pathlib.Path(options['prefix'])
    bindir = prefix / options['bindir']
    datadir = prefix / options['datadir']
    installed = introspect(builddir, '--installed')

    # `meson test --suite data` only builds what the data tests use: build the
    # rest of the install plan first (nothing else runs alongside this test).
    missing = [os.path.relpath(p, builddir) for p in installed if not os.path.exists(p)]
    if missing:
        r = run(['ninja', '-C', str(builddir), *missing], timeout=1200)
        if r.returncode != 0:
            print(r.stdout[-4000:], r.stderr[-2000:])
            fail(f'could not build {", ".join(missing)}')
            return 1
        ok(f'built {", ".join(missing)}')

    dest = pathlib.Path(tempfile.mkdtemp(prefix='lattice-install-'))
    try:
        r = run(['meson', 'install', '-C', str(builddir), '--destdir', str(dest),
                 '--no-rebuild', '--quiet'], timeout=300)
        if r.returncode != 0:
            print(r.stdout, r.stderr)
            fail('meson install failed')
            return 1
        ok(f'meson install into {dest}')
        check_binaries(dest, bindir, installed)
        share = check_data(dest, datadir, app_id)
        check_locale(share)
        unit = dest / prefix.relative_to('/') / 'lib/systemd/system/lattice-server.service'
        if str(prefix) == '/app':
            print('skip: no systemd unit inside the Flatpak')
        elif expect_file(unit, 'systemd unit'):
            if f'ExecStart={bindir}/lattice-server ' not in unit.read_text():
                fail(f'systemd unit does not start {bindir}/lattice-server')
    finally:
        shutil.rmtree(dest, ignore_errors=True)
    print(f'{len(failures)} failure(s)')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
