#!/usr/bin/env python3
"""Static checks of the Flatpak manifests (flatpak-builder cannot run offline).

Usage: check-flatpak-manifest.py MANIFEST.json EXPECTED_APP_ID EXPECTED_PROFILE
"""
import json
import sys

REQUIRED_FINISH_ARGS = [
    '--share=network', '--share=ipc', '--socket=wayland', '--socket=fallback-x11',
    '--device=dri', '--socket=pulseaudio',
]
# Far more than a video call needs: the camera comes through the Camera portal
# (a PipeWire fd), files through the document portal.
FORBIDDEN_PREFIXES = [
    '--device=all', '--filesystem=host', '--filesystem=home', '--filesystem=/',
    '--socket=system-bus', '--socket=session-bus', '--talk-name=org.freedesktop.Flatpak',
    '--device=shm', '--socket=x11',
]


def modules_of(modules):
    """All modules, nested ones included (a module may be a file name string)."""
    for module in modules:
        if isinstance(module, dict):
            yield module
            yield from modules_of(module.get('modules', []))


def check(path, app_id, profile):
    problems = []
    try:
        with open(path, encoding='utf-8') as f:
            m = json.load(f)
    except (OSError, ValueError) as e:
        return [f'cannot parse: {e}']

    got_id = m.get('id', m.get('app-id'))
    if got_id != app_id:
        problems.append(f'app id is {got_id!r}, expected {app_id!r}')
    if m.get('runtime') != 'org.gnome.Platform':
        problems.append(f'runtime is {m.get("runtime")!r}, expected org.gnome.Platform')
    if m.get('sdk') != 'org.gnome.Sdk':
        problems.append(f'sdk is {m.get("sdk")!r}, expected org.gnome.Sdk')
    version = str(m.get('runtime-version', ''))
    if not version or version == 'master' or not version.split('.')[0].isdigit():
        problems.append(f'runtime-version {version!r} is not a stable branch')
    if m.get('command') != 'lattice':
        problems.append(f'command is {m.get("command")!r}, expected lattice')

    finish = m.get('finish-args', [])
    for arg in REQUIRED_FINISH_ARGS:
        if arg not in finish:
            problems.append(f'finish-args lacks {arg}')
    for arg in finish:
        if any(arg == bad or arg.startswith(bad + ':') for bad in FORBIDDEN_PREFIXES):
            problems.append(f'finish-args grants {arg}, which Lattice must not need')
    extra = sorted(set(finish) - set(REQUIRED_FINISH_ARGS))
    if extra:
        problems.append(f'finish-args has unexpected entries {extra} (update this test if they are needed)')

    modules = list(modules_of(m.get('modules', [])))
    if not modules:
        problems.append('no modules')
    for module in modules:
        name = module.get('name', '?')
        for source in module.get('sources', []):
            if not isinstance(source, dict):
                continue  # a path to a JSON file of sources
            kind = source.get('type')
            if kind in ('archive', 'file'):
                sha = source.get('sha256', '')
                if len(sha) != 64 or any(c not in '0123456789abcdef' for c in sha):
                    problems.append(f'module {name}: {kind} source {source.get("url", source.get("path"))} '
                                    'is not pinned with a sha256')
            elif kind == 'git':
                commit = source.get('commit', '')
                if len(commit) != 40:
                    problems.append(f'module {name}: git source {source.get("url")} is not pinned to a commit')

    app = [mod for mod in modules if mod.get('name') == 'lattice']
    if len(app) != 1:
        problems.append('there must be exactly one module named lattice')
    else:
        app = app[0]
        if app is not modules[-1] and app is not m['modules'][-1]:
            problems.append('the lattice module must come last')
        if app.get('buildsystem') != 'meson':
            problems.append('the lattice module must use buildsystem meson')
        if app.get('sources') != [s for s in app.get('sources', [])
                                  if isinstance(s, dict) and s.get('type') == 'dir' and s.get('path') == '..']:
            problems.append('the lattice module must build from the checkout: sources [{type: dir, path: ..}]')
        if not app.get('sources'):
            problems.append('the lattice module has no sources')
        if app.get('run-tests') is not True:
            problems.append('the lattice module must set run-tests: true')
        if f'-Dprofile={profile}' not in app.get('config-opts', []):
            problems.append(f'the lattice module must configure -Dprofile={profile}')
        # In the sandbox the camera is only reachable through the Camera portal.
        if '-Dportal=enabled' not in app.get('config-opts', []):
            problems.append('the lattice module must configure -Dportal=enabled')
    return problems


def main():
    path, app_id, profile = sys.argv[1:4]
    problems = check(path, app_id, profile)
    for p in problems:
        print(f'FAIL {path}: {p}')
    if not problems:
        print(f'OK {path}')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
