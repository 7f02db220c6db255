# -*- coding: utf-8 -*-
# Copyright (c) CoinPilot platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one HTTP client of the verification modules, and its error path.

Private to this collection: the API may change without notice.
"""


import errno
import json
import socket
import time
import traceback

try:
    import requests
    from requests.adapters import HTTPAdapter
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - depends on the target host
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

from ansible.module_utils.basic import AnsibleModule, missing_required_lib


class ApiError(Exception):
    """A failure worth one clear line: which endpoint, and why.

    ``transient`` marks failures that may heal while a module polls (a service
    still starting, a 503); the others (401, 404, rejected PromQL) never do.
    """

    def __init__(self, message, transient=False, status=None, body=None):
        super().__init__(message)
        self.message = message
        self.transient = transient
        self.status = status
        self.body = body


def connection_argument_spec(default_url):
    return dict(
        url=dict(type='str', default=default_url),
        timeout=dict(type='float', default=10.0),
        validate_certs=dict(type='bool', default=True),
        ca_path=dict(type='path'),
        url_username=dict(type='str'),
        url_password=dict(type='str', no_log=True),
        bearer_token=dict(type='str', no_log=True),
        wait_timeout=dict(type='float', default=0.0),
    )


CONNECTION_MUTUALLY_EXCLUSIVE = [('url_username', 'bearer_token'), ('url_password', 'bearer_token')]
CONNECTION_REQUIRED_TOGETHER = [('url_username', 'url_password')]


def new_module(argument_spec, default_url, mutually_exclusive=None, required_together=None, **kwargs):
    """An AnsibleModule with the shared connection options merged in, and
    ``requests`` checked before anything else can need it."""
    spec = connection_argument_spec(default_url)
    spec.update(argument_spec)
    module = AnsibleModule(
        argument_spec=spec,
        mutually_exclusive=CONNECTION_MUTUALLY_EXCLUSIVE + list(mutually_exclusive or []),
        required_together=CONNECTION_REQUIRED_TOGETHER + list(required_together or []),
        supports_check_mode=True,
        **kwargs)
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR)
    return module


def run_guarded(module, body):
    """Run a module body; every failure leaves as one fail_json line.

    ApiError carries a finished message. Anything else is a bug in this
    collection; it still ends in fail_json, with the traceback kept in the
    result's ``exception`` field rather than printed.
    """
    try:
        body(module)
    except ApiError as exc:
        module.fail_json(msg=exc.message, changed=False)
    except Exception as exc:  # pylint: disable=broad-except
        module.fail_json(msg='Unexpected error in %s: %s: %s' % (module._name, type(exc).__name__, exc),
                         exception=traceback.format_exc(), changed=False)


_REASONS = {
    errno.ECONNREFUSED: 'connection refused',
    errno.EHOSTUNREACH: 'host unreachable',
    errno.ENETUNREACH: 'network unreachable',
    errno.ECONNRESET: 'connection reset by peer',
    errno.ENOENT: 'no such socket',
    errno.EACCES: 'permission denied',
}


def describe_os_error(exc):
    """Turn the innermost cause of a connection failure into a few words."""
    seen = set()
    cur = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, socket.gaierror):
            return 'name resolution failed (%s)' % (cur.strerror or cur)
        if isinstance(cur, OSError) and cur.errno in _REASONS:
            return _REASONS[cur.errno]
        nxt = cur.__cause__ or cur.__context__
        if nxt is None:
            # urllib3 keeps the root cause in `reason`, requests in args[0].
            nxt = getattr(cur, 'reason', None)
            if not isinstance(nxt, BaseException) and cur.args and isinstance(cur.args[0], BaseException):
                nxt = cur.args[0]
        cur = nxt if isinstance(nxt, BaseException) else None
    text = str(exc)
    for needle, words in (('Connection refused', 'connection refused'),
                          ('Name or service not known', 'name resolution failed'),
                          ('No route to host', 'host unreachable')):
        if needle in text:
            return words
    return text


def _snippet(text, limit=200):
    text = ' '.join((text or '').split())
    return text if len(text) <= limit else text[:limit] + '...'


def _status_hint(status):
    if status == 401:
        return 'check url_username/url_password or bearer_token'
    if status == 403:
        return 'the credentials lack permission for this endpoint'
    if status == 404:
        return 'check url (a reverse proxy path prefix?) and the names asked for'
    return None


class HttpClient:
    """A pooled requests.Session bound to one base URL.

    ``service`` names the far end in messages ("Prometheus", "Grafana"). The
    adapter pool is sized for ``pool_size`` concurrent callers, so a thread pool
    of that size reuses connections instead of opening one per query.
    """

    def __init__(self, service, base_url, timeout=10.0, validate_certs=True, ca_path=None,
                 username=None, password=None, bearer_token=None, pool_size=10):
        self.service = service
        self.base_url = base_url.rstrip('/')
        self.timeout = timeout
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(1, pool_size), max_retries=0)
        self.session.mount('http://', adapter)
        self.session.mount('https://', adapter)
        self.session.verify = (ca_path or True) if validate_certs else False
        if username is not None:
            self.session.auth = (username, password or '')
        if bearer_token:
            self.session.headers['Authorization'] = 'Bearer %s' % bearer_token
        self.session.headers['Accept'] = 'application/json'

    @classmethod
    def from_module(cls, service, module, pool_size=10, prefix=''):
        """Build from the connection options; ``prefix`` selects a second set
        (for example ``grafana_``) on modules that talk to two services."""
        p = module.params
        if prefix:
            return cls(service, p[prefix + 'url'], timeout=p['timeout'], validate_certs=p['validate_certs'],
                       ca_path=p['ca_path'], username=p.get(prefix + 'username'),
                       password=p.get(prefix + 'password'), bearer_token=p.get(prefix + 'token'),
                       pool_size=pool_size)
        return cls(service, p['url'], timeout=p['timeout'], validate_certs=p['validate_certs'],
                   ca_path=p['ca_path'], username=p['url_username'], password=p['url_password'],
                   bearer_token=p['bearer_token'], pool_size=pool_size)

    def endpoint(self, path):
        return self.base_url + path

    def request_json(self, method, path, params=None, data=None, accept_status=()):
        """Return ``(status, parsed JSON)``; raise ApiError for everything else.

        Statuses in ``accept_status`` are handed back with their JSON body
        instead of raising: some APIs (Prometheus' 400/422 for bad PromQL,
        Grafana's 400 for a failed datasource check) put the answer there.
        """
        url = self.endpoint(path)
        where = '%s at %s' % (self.service, url)
        try:
            resp = self.session.request(method, url, params=params, data=data, timeout=self.timeout)
        except requests.exceptions.SSLError as exc:
            raise ApiError('Could not reach %s: TLS verification failed (%s); set ca_path, or validate_certs=false'
                           % (where, _snippet(str(exc))))
        except requests.exceptions.Timeout:
            raise ApiError('Could not reach %s: no answer within %s s (timeout)' % (where, _fmt_num(self.timeout)),
                           transient=True)
        except requests.exceptions.ConnectionError as exc:
            raise ApiError('Could not reach %s: %s' % (where, describe_os_error(exc)), transient=True)
        except requests.exceptions.RequestException as exc:
            raise ApiError('Could not reach %s: %s' % (where, _snippet(str(exc))))

        status = resp.status_code
        if status >= 400 and status not in accept_status:
            reason = resp.reason or ''
            detail = _error_detail(resp)
            hint = _status_hint(status)
            msg = '%s answered HTTP %d %s' % (where, status, reason)
            if detail:
                msg += ': %s' % detail
            if hint:
                msg += ' (%s)' % hint
            raise ApiError(msg.replace(' :', ':'), transient=status >= 500 or status == 429, status=status,
                           body=resp.text)
        try:
            body = resp.json()
        except ValueError:
            ctype = resp.headers.get('Content-Type', 'no content type')
            raise ApiError('%s answered HTTP %d with a body that is not JSON (%s): %r'
                           % (where, status, ctype, _snippet(resp.text, 120)), status=status, body=resp.text)
        return status, body

    def get_json(self, path, params=None, accept_status=()):
        return self.request_json('GET', path, params=params, accept_status=accept_status)


def _error_detail(resp):
    try:
        body = resp.json()
    except ValueError:
        return _snippet(resp.text, 160)
    if isinstance(body, dict):
        for key in ('error', 'message'):
            if body.get(key):
                return _snippet(str(body[key]), 300)
    return _snippet(json.dumps(body), 160)


def _fmt_num(value):
    return ('%g' % value) if isinstance(value, float) else str(value)


def poll(check, wait_timeout, first_delay=0.5, max_delay=5.0, clock=time.monotonic, sleep=time.sleep):
    """Call ``check()`` until it reports success or ``wait_timeout`` expires.

    ``check`` returns ``(ok, result)``. Transient ApiErrors are retried like a
    failed check; the others propagate at once, since waiting cannot fix them.
    Returns the last ``(ok, result)``; a transient error that persists to the
    deadline is raised.
    """
    deadline = clock() + max(0.0, wait_timeout or 0.0)
    delay = first_delay
    while True:
        try:
            ok, result = check()
            error = None
        except ApiError as exc:
            if not exc.transient:
                raise
            ok, result, error = False, None, exc
        if ok:
            return ok, result
        remaining = deadline - clock()
        if remaining <= 0:
            if error is not None:
                raise error
            return ok, result
        sleep(min(delay, remaining))
        delay = min(delay * 2, max_delay)
