"""Grafana STAND-IN for the test rig. It is not Grafana.

The official image cannot be pulled here, so this small server answers the few
Grafana HTTP endpoints that the collection's checks call, with the response
shapes of Grafana's documented HTTP API, built from the same inputs the real
image reads:

- GF_SECURITY_ADMIN_USER, GF_SECURITY_ADMIN_PASSWORD(__FILE): the admin
  account. As in Grafana, they only count when the database is created (first
  start on an empty data volume); later changes are ignored.
- GF_AUTH_ANONYMOUS_ENABLED: anonymous access (off unless "true").
- GF_PATHS_PROVISIONING: datasources/*.yaml and dashboards/*.yaml. Datasources
  and dashboard providers are read at start and on the admin reload calls;
  the dashboard files are re-read on every request, standing in for the
  provider's periodic scan.

Datasource health really queries the datasource (Prometheus: 1+1), as
Grafana's Prometheus plugin does.

Users, folders and dashboards made by hand (POST /api/admin/users,
/api/folders, /api/dashboards/db) are kept in the database file of the data
volume, as Grafana keeps them in grafana.db: they outlive the container and
move with the volume.
"""

import base64
import glob
import hashlib
import hmac
import json
import os
import re
import signal
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import yaml

VERSION = '12.3.3'
COMMIT = 'grafana-standin'


def log(message):
    sys.stderr.write('grafana-standin: %s\n' % message)


def env_setting(name, default=''):
    """GF_* settings, with the official image's NAME__FILE convention."""
    file_name = os.environ.get(name + '__FILE')
    if file_name:
        with open(file_name, encoding='utf-8') as handle:
            return handle.read().rstrip('\r\n')
    return os.environ.get(name, default)


def slugify(text):
    return re.sub(r'[^a-z0-9]+', '-', text.lower()).strip('-')


def _iso(ts):
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(ts))


class ProvisioningError(Exception):
    pass


def _read_yaml_dir(directory):
    docs = []
    for path in sorted(glob.glob(os.path.join(directory, '*.yaml')) + glob.glob(os.path.join(directory, '*.yml'))):
        try:
            with open(path, encoding='utf-8') as handle:
                doc = yaml.safe_load(handle)
        except (OSError, yaml.YAMLError) as exc:
            raise ProvisioningError('cannot read %s: %s' % (path, exc))
        if doc is None:
            continue
        if not isinstance(doc, dict):
            raise ProvisioningError('%s is not a mapping' % path)
        docs.append((path, doc))
    return docs


def load_datasources(provisioning):
    found = {}
    defaults = []
    for path, doc in _read_yaml_dir(os.path.join(provisioning, 'datasources')):
        for ds in doc.get('datasources') or []:
            if not isinstance(ds, dict) or not ds.get('name'):
                raise ProvisioningError('%s: every datasource needs a name' % path)
            if not ds.get('type'):
                raise ProvisioningError('%s: datasource %s needs a type' % (path, ds['name']))
            uid = str(ds.get('uid') or slugify(ds['name']))
            if ds.get('isDefault'):
                defaults.append(ds['name'])
            found[uid] = dict(ds, uid=uid)
    if len(defaults) > 1:
        raise ProvisioningError('datasource provisioning error: datasource.yaml config is invalid. '
                                'Only one datasource per organization can be marked as default')
    for number, uid in enumerate(sorted(found), start=1):
        found[uid]['id'] = number
    return found


def load_providers(provisioning):
    providers = []
    for path, doc in _read_yaml_dir(os.path.join(provisioning, 'dashboards')):
        for prov in doc.get('providers') or []:
            if not isinstance(prov, dict) or not prov.get('name'):
                raise ProvisioningError('%s: every dashboard provider needs a name' % path)
            options = prov.get('options') or {}
            if not options.get('path'):
                raise ProvisioningError('%s: provider %s needs options.path' % (path, prov['name']))
            providers.append(prov)
    return providers


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.provisioning = os.environ.get('GF_PATHS_PROVISIONING', '/etc/grafana/provisioning')
        self.data_dir = os.environ.get('GF_PATHS_DATA', '/var/lib/grafana')
        self.anonymous = os.environ.get('GF_AUTH_ANONYMOUS_ENABLED', 'false').lower() == 'true'
        self.started = time.time()
        self.admin = self._admin_account()
        self.datasources = load_datasources(self.provisioning)
        self.providers = load_providers(self.provisioning)

    def _db_path(self):
        return os.path.join(self.data_dir, 'grafana-standin.db.json')

    def save(self):
        """Write the database (the admin account and what was made by hand) atomically."""
        db = self._db_path()
        tmp = db + '.tmp'
        with open(tmp, 'w', encoding='utf-8') as handle:
            json.dump(self.admin, handle)
        os.rename(tmp, db)

    def _admin_account(self):
        """Create the 'database' on first start only, as Grafana creates its admin user."""
        db = self._db_path()
        if os.path.exists(db):
            with open(db, encoding='utf-8') as handle:
                return json.load(handle)
        salt = os.urandom(16).hex()
        password = env_setting('GF_SECURITY_ADMIN_PASSWORD', 'admin')
        account = {
            'login': env_setting('GF_SECURITY_ADMIN_USER', 'admin'),
            'salt': salt,
            'hash': hashlib.pbkdf2_hmac('sha256', password.encode(), bytes.fromhex(salt), 10000).hex(),
            'created': self.started,
        }
        tmp = db + '.tmp'
        with open(tmp, 'w', encoding='utf-8') as handle:
            json.dump(account, handle)
        os.rename(tmp, db)
        return account

    def check_password(self, login, password):
        if login != self.admin['login']:
            return False
        digest = hashlib.pbkdf2_hmac('sha256', password.encode(), bytes.fromhex(self.admin['salt']), 10000).hex()
        return hmac.compare_digest(digest, self.admin['hash'])

    def database_ok(self):
        return os.access(self.data_dir, os.W_OK)

    def reload_datasources(self):
        datasources = load_datasources(self.provisioning)
        with self.lock:
            self.datasources = datasources

    def reload_providers(self):
        providers = load_providers(self.provisioning)
        with self.lock:
            self.providers = providers

    def folders(self):
        out = {}
        with self.lock:
            providers = list(self.providers)
        for prov in providers:
            title = prov.get('folder') or ''
            if title and title not in out:
                uid = prov.get('folderUid') or slugify(title)
                out[title] = {'id': len(out) + 1, 'uid': uid, 'title': title,
                              'url': '/dashboards/f/%s/%s' % (uid, slugify(title))}
        with self.lock:
            saved = dict(self.admin.get('folders') or {})
        for title, uid in sorted(saved.items()):
            if title not in out:
                out[title] = {'id': len(out) + 1, 'uid': uid, 'title': title,
                              'url': '/dashboards/f/%s/%s' % (uid, slugify(title))}
        return out

    def dashboards(self):
        """Every provisioned dashboard, read from the files now."""
        with self.lock:
            providers = list(self.providers)
        folders = self.folders()
        found = {}
        number = 0
        for prov in providers:
            folder = folders.get(prov.get('folder') or '')
            root = prov['options']['path']
            for path in sorted(glob.glob(os.path.join(root, '**', '*.json'), recursive=True)):
                try:
                    with open(path, encoding='utf-8') as handle:
                        model = json.load(handle)
                except (OSError, ValueError) as exc:
                    log('failed to load dashboard from %s: %s' % (path, exc))
                    continue
                if isinstance(model.get('dashboard'), dict):
                    model = model['dashboard']
                if not isinstance(model, dict) or not model.get('title'):
                    log('dashboard %s has no title; skipped' % path)
                    continue
                uid = str(model.get('uid') or hashlib.sha1(path.encode()).hexdigest()[:14])
                if uid in found:
                    log('the same UID %s is used more than once (%s); the first file wins' % (uid, path))
                    continue
                number += 1
                model = dict(model, uid=uid, id=number)
                model.setdefault('version', 1)
                found[uid] = {'model': model, 'provider': prov, 'folder': folder,
                              'external_id': os.path.relpath(path, root), 'mtime': os.path.getmtime(path)}
        with self.lock:
            saved = dict(self.admin.get('dashboards') or {})
        for uid, entry in saved.items():
            if uid in found:
                continue
            number += 1
            found[uid] = {'model': dict(entry['model'], uid=uid, id=number), 'provider': {'allowUiUpdates': True},
                          'folder': folders.get(entry.get('folder') or ''), 'external_id': '',
                          'mtime': entry['mtime'], 'provisioned': False}
        return found


class Handler(BaseHTTPRequestHandler):
    server_version = 'grafana-standin'
    state = None

    def log_message(self, fmt, *args):
        log('%s %s' % (self.address_string(), fmt % args))

    def _send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorized(self):
        header = self.headers.get('Authorization') or ''
        if header.startswith('Basic '):
            try:
                login, _sep, password = base64.b64decode(header[6:]).decode().partition(':')
            except (ValueError, UnicodeDecodeError):
                return False
            return self.state.check_password(login, password)
        return self.state.anonymous and not header

    def _route(self, method):
        url = urllib.parse.urlsplit(self.path)
        path = url.path.rstrip('/') or '/'
        query = urllib.parse.parse_qs(url.query)
        if method == 'GET' and path == '/api/health':
            healthy = self.state.database_ok()
            return self._send(200 if healthy else 503, {'commit': COMMIT, 'database': 'ok' if healthy else 'failing',
                                                        'version': VERSION})
        if not self._authorized():
            message = 'Invalid username or password' if self.headers.get('Authorization') else 'Unauthorized'
            return self._send(401, {'message': message})
        routes = [
            ('GET', r'/api/user', self.get_user),
            ('GET', r'/api/datasources', self.list_datasources),
            ('GET', r'/api/datasources/uid/([^/]+)', self.get_datasource),
            ('GET', r'/api/datasources/uid/([^/]+)/health', self.datasource_health),
            ('GET', r'/api/dashboards/uid/([^/]+)', self.get_dashboard),
            ('GET', r'/api/folders', self.list_folders),
            ('GET', r'/api/search', self.search),
            ('GET', r'/api/users/lookup', self.lookup_user),
            ('POST', r'/api/admin/users', self.create_user),
            ('POST', r'/api/folders', self.create_folder),
            ('POST', r'/api/dashboards/db', self.save_dashboard),
            ('POST', r'/api/admin/provisioning/datasources/reload', self.reload_datasources),
            ('POST', r'/api/admin/provisioning/dashboards/reload', self.reload_dashboards),
        ]
        for verb, pattern, handler in routes:
            match = re.fullmatch(pattern, path)
            if match and verb == method:
                return handler(query, *[urllib.parse.unquote(g) for g in match.groups()])
        return self._send(404, {'message': 'Not found'})

    def do_GET(self):  # noqa: N802 (http.server's naming)
        self._route('GET')

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get('Content-Length') or 0)
        raw = self.rfile.read(length) if length else b''
        try:
            self.body = json.loads(raw or b'{}')
        except ValueError:
            self.body = None
        self._route('POST')

    # -- made by hand, kept in the database file ---------------------------

    def _body(self, *required):
        body = getattr(self, 'body', None)
        if not isinstance(body, dict) or any(not body.get(key) for key in required):
            self._send(400, {'message': 'bad request data: needs %s' % ', '.join(required)})
            return None
        return body

    def create_user(self, _query):
        body = self._body('login', 'password')
        if body is None:
            return None
        with self.state.lock:
            users = self.state.admin.setdefault('users', {})
            if body['login'] in users or body['login'] == self.state.admin['login']:
                return self._send(412, {'message': 'User with same login already exists'})
            users[body['login']] = {'id': len(users) + 2, 'login': body['login'], 'name': body.get('name', ''),
                                    'email': body.get('email', '')}
            self.state.save()
            number = users[body['login']]['id']
        self._send(200, {'id': number, 'message': 'User created'})

    def lookup_user(self, query):
        login = (query.get('loginOrEmail') or [''])[0]
        with self.state.lock:
            user = (self.state.admin.get('users') or {}).get(login)
        if user is None:
            return self._send(404, {'message': 'user not found'})
        self._send(200, dict(user, orgId=1, isGrafanaAdmin=False, isDisabled=False, isExternal=False))

    def create_folder(self, _query):
        body = self._body('title')
        if body is None:
            return None
        uid = body.get('uid') or slugify(body['title'])
        with self.state.lock:
            self.state.admin.setdefault('folders', {})[body['title']] = uid
            self.state.save()
        self._send(200, {'uid': uid, 'title': body['title'], 'url': '/dashboards/f/%s/%s' % (uid, slugify(body['title']))})

    def save_dashboard(self, _query):
        body = self._body('dashboard')
        if body is None:
            return None
        model = body['dashboard']
        if not isinstance(model, dict) or not model.get('title'):
            return self._send(400, {'message': 'Dashboard title cannot be empty'})
        uid = str(model.get('uid') or hashlib.sha1(model['title'].encode()).hexdigest()[:14])
        titles = {uid_: title for title, uid_ in (self.state.admin.get('folders') or {}).items()}
        with self.state.lock:
            self.state.admin.setdefault('dashboards', {})[uid] = {
                'model': dict(model, uid=uid), 'folder': titles.get(body.get('folderUid') or '', ''),
                'mtime': time.time()}
            self.state.save()
        slug = slugify(model['title'])
        self._send(200, {'status': 'success', 'uid': uid, 'slug': slug, 'url': '/d/%s/%s' % (uid, slug),
                         'version': model.get('version', 1)})

    # -- endpoints -----------------------------------------------------------

    def get_user(self, _query):
        login = self.state.admin['login']
        self._send(200, {'id': 1, 'uid': 'admin', 'login': login, 'email': login + '@localhost', 'name': '',
                         'orgId': 1, 'isGrafanaAdmin': True, 'isDisabled': False, 'isExternal': False})

    @staticmethod
    def _datasource_view(ds):
        secure = ds.get('secureJsonData') or {}
        return {
            'id': ds['id'], 'uid': ds['uid'], 'orgId': ds.get('orgId', 1), 'name': ds['name'],
            'type': ds['type'], 'typeLogoUrl': 'public/app/plugins/datasource/%s/img/logo.svg' % ds['type'],
            'access': ds.get('access', 'proxy'), 'url': ds.get('url', ''), 'user': ds.get('user', ''),
            'database': ds.get('database', ''), 'basicAuth': bool(ds.get('basicAuth')),
            'basicAuthUser': ds.get('basicAuthUser', ''), 'withCredentials': bool(ds.get('withCredentials')),
            'isDefault': bool(ds.get('isDefault')), 'jsonData': ds.get('jsonData') or {},
            'secureJsonFields': {key: True for key in secure}, 'version': ds.get('version', 1),
            'readOnly': not ds.get('editable', False),
        }

    def list_datasources(self, _query):
        with self.state.lock:
            items = sorted(self.state.datasources.values(), key=lambda d: d['id'])
        self._send(200, [self._datasource_view(ds) for ds in items])

    def _datasource(self, uid):
        with self.state.lock:
            return self.state.datasources.get(uid)

    def get_datasource(self, _query, uid):
        ds = self._datasource(uid)
        if ds is None:
            return self._send(404, {'message': 'Data source not found'})
        self._send(200, self._datasource_view(ds))

    def datasource_health(self, _query, uid):
        ds = self._datasource(uid)
        if ds is None:
            return self._send(404, {'message': 'Data source not found'})
        if ds['type'] != 'prometheus':
            return self._send(400, {'status': 'ERROR', 'message': 'the stand-in checks Prometheus datasources only'})
        url = ds.get('url', '').rstrip('/') + '/api/v1/query?' + urllib.parse.urlencode({'query': '1+1'})
        request = urllib.request.Request(url)
        if ds.get('basicAuth'):
            password = (ds.get('secureJsonData') or {}).get('basicAuthPassword', '')
            token = base64.b64encode(('%s:%s' % (ds.get('basicAuthUser', ''), password)).encode()).decode()
            request.add_header('Authorization', 'Basic ' + token)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                body = json.load(response)
        except urllib.error.HTTPError as exc:
            return self._send(400, {'status': 'ERROR', 'message': '%s - There was an error returned querying the '
                                    'Prometheus API.' % exc.code})
        except (urllib.error.URLError, OSError, ValueError) as exc:
            return self._send(400, {'status': 'ERROR', 'message': 'Post "%s": %s - There was an error returned '
                                    'querying the Prometheus API.' % (url, getattr(exc, 'reason', exc))})
        if body.get('status') != 'success':
            return self._send(400, {'status': 'ERROR', 'message': 'Prometheus answered: %s' % body.get('error')})
        self._send(200, {'status': 'OK', 'message': 'Successfully queried the Prometheus API.'})

    def get_dashboard(self, _query, uid):
        entry = self.state.dashboards().get(uid)
        if entry is None:
            return self._send(404, {'message': 'Dashboard not found'})
        model, folder, prov = entry['model'], entry['folder'], entry['provider']
        slug = slugify(model['title'])
        updated = _iso(entry['mtime'])
        meta = {
            'type': 'db', 'canSave': True, 'canEdit': True, 'canAdmin': True, 'canStar': True,
            'canDelete': bool(prov.get('allowUiUpdates')), 'slug': slug, 'url': '/d/%s/%s' % (uid, slug),
            'expires': '0001-01-01T00:00:00Z', 'created': updated, 'updated': updated,
            'updatedBy': 'Anonymous', 'createdBy': 'Anonymous', 'version': model.get('version', 1),
            'hasAcl': False, 'isFolder': False, 'folderId': folder['id'] if folder else 0,
            'folderUid': folder['uid'] if folder else '', 'folderTitle': folder['title'] if folder else 'General',
            'folderUrl': folder['url'] if folder else '', 'provisioned': entry.get('provisioned', True),
            'provisionedExternalId': entry['external_id'],
        }
        self._send(200, {'dashboard': model, 'meta': meta})

    def list_folders(self, _query):
        self._send(200, [{'id': f['id'], 'uid': f['uid'], 'title': f['title']}
                         for f in self.state.folders().values()])

    def search(self, query):
        text = (query.get('query') or [''])[0].lower()
        kinds = query.get('type') or []
        uids = set(query.get('dashboardUIDs') or [])
        folder_uids = set(query.get('folderUIDs') or [])
        tags = set(query.get('tag') or [])
        hits = []
        if not kinds or 'dash-folder' in kinds:
            for folder in self.state.folders().values():
                if text in folder['title'].lower() and not uids and not tags:
                    hits.append({'id': folder['id'], 'uid': folder['uid'], 'title': folder['title'],
                                 'uri': 'db/' + slugify(folder['title']), 'url': folder['url'],
                                 'slug': '', 'type': 'dash-folder', 'tags': [], 'isStarred': False, 'sortMeta': 0})
        if not kinds or 'dash-db' in kinds:
            for uid, entry in sorted(self.state.dashboards().items(), key=lambda kv: kv[1]['model']['title']):
                model, folder = entry['model'], entry['folder']
                if text not in model['title'].lower() or (uids and uid not in uids):
                    continue
                if folder_uids and (folder['uid'] if folder else 'general') not in folder_uids:
                    continue
                if tags and not tags <= set(model.get('tags') or []):
                    continue
                hit = {'id': model['id'], 'uid': uid, 'title': model['title'],
                       'uri': 'db/' + slugify(model['title']), 'url': '/d/%s/%s' % (uid, slugify(model['title'])),
                       'slug': '', 'type': 'dash-db', 'tags': model.get('tags') or [], 'isStarred': False,
                       'sortMeta': 0}
                if folder:
                    hit.update({'folderId': folder['id'], 'folderUid': folder['uid'],
                                'folderTitle': folder['title'], 'folderUrl': folder['url']})
                hits.append(hit)
        self._send(200, hits)

    def reload_datasources(self, _query):
        try:
            self.state.reload_datasources()
        except ProvisioningError as exc:
            return self._send(500, {'message': 'Failed to reload datasources config', 'error': str(exc)})
        self._send(200, {'message': 'Datasources config reloaded'})

    def reload_dashboards(self, _query):
        try:
            self.state.reload_providers()
        except ProvisioningError as exc:
            return self._send(500, {'message': 'Failed to reload dashboards config', 'error': str(exc)})
        self._send(200, {'message': 'Dashboards config reloaded'})


def main():
    try:
        state = State()
    except (ProvisioningError, OSError, ValueError) as exc:
        # Grafana, too, refuses to start on broken provisioning.
        log('failed to start: %s' % exc)
        return 1
    Handler.state = state
    # As PID 1 the process would ignore SIGTERM and make `docker stop` wait.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    port = int(os.environ.get('GF_SERVER_HTTP_PORT', '3000'))
    server = ThreadingHTTPServer((os.environ.get('GF_SERVER_HTTP_ADDR', '0.0.0.0'), port), Handler)
    log('this is a stand-in, not Grafana; listening on :%d with %d datasource(s), %d provider(s)'
        % (port, len(state.datasources), len(state.providers)))
    server.serve_forever()
    return 0


if __name__ == '__main__':
    sys.exit(main())
