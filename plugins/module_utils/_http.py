# -*- coding: utf-8 -*-
# Copyright (c) CoinPilot platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one HTTP client of the verification modules, and its error path.

Private to this collection: the API may change without notice.

Every request is bounded twice: its body may not exceed
``max_response_bytes``, and the whole exchange (connect, headers, body) must
end within ``timeout`` seconds. Every message leaves through ``redact``.
"""


import base64
import errno
import html
import json
import re
import socket
import ssl
import threading
import time
import traceback
from urllib.parse import unquote, urlsplit, urlunsplit

try:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - depends on the target host
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
    HTTPAdapter = object

from ansible.module_utils.basic import AnsibleModule, missing_required_lib


DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024
# An error page only feeds a one-line message; more of it is never read.
ERROR_BODY_BYTES = 64 * 1024
CHUNK_BYTES = 64 * 1024
MASK = '********'
SECRET_ANYWHERE_LEN = 8


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


class OptionError(ApiError):
    """An option value that cannot work; raised before anything is asked."""

    def __init__(self, name, requirement, value):
        super().__init__('Option %s must be %s, got %s' % (name, requirement, preview(value)))


# -- redaction ----------------------------------------------------------------

_USERINFO_RE = re.compile(r'(?i)\b([a-z][a-z0-9+.-]*://)([^/?#\s@]*)@')
_AUTH_HEADER_RE = re.compile(r'(?i)(authorization["\']?\s*[:=]\s*["\']?)(?:(?:bearer|basic)\s+)?[^\s"\',;)\]}]+')
_BEARER_RE = re.compile(r'\b(Bearer|Basic)(\s+)[A-Za-z0-9._~+/=-]{8,}')


def _mask_userinfo(match):
    user, sep, dummy = match.group(2).partition(':')
    return match.group(1) + ((user + ':' + MASK) if sep else MASK) + '@'


def redact(text, secrets=()):
    """``text`` without credentials: each known secret, the password of any
    URL, and Authorization values a server may echo back."""
    if not isinstance(text, str):
        return text
    # Longest first, so a secret that contains another is masked whole. A
    # short one is masked only where it stands alone: masking every "b" of
    # a message would leave nothing to read, and it hides nothing.
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        if len(secret) >= SECRET_ANYWHERE_LEN:
            text = text.replace(secret, MASK)
        else:
            text = re.sub(r'(?<![A-Za-z0-9])%s(?![A-Za-z0-9])' % re.escape(secret), MASK, text)
    text = _USERINFO_RE.sub(_mask_userinfo, text)
    text = _AUTH_HEADER_RE.sub(lambda m: m.group(1) + MASK, text)
    return _BEARER_RE.sub(lambda m: m.group(1) + m.group(2) + MASK, text)


def redact_all(value, secrets=()):
    """``redact`` applied to every string inside a result."""
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, dict):
        return {redact_all(k, secrets): redact_all(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_all(v, secrets) for v in value]
    return value


def url_credentials(url):
    """``(user, password)`` from a URL's userinfo, or ``(None, None)``."""
    try:
        parts = urlsplit(url or '')
    except ValueError:
        return None, None
    if '@' not in parts.netloc:
        return None, None
    return unquote(parts.username or ''), unquote(parts.password or '')


def credential_forms(user, password):
    """The ways a server may echo a password back: as given, and inside a
    basic-auth header."""
    if not password:
        return []
    token = base64.b64encode(('%s:%s' % (user or '', password)).encode('utf-8')).decode('ascii')
    return [password, token]


# -- response shapes ------------------------------------------------------------

_KINDS = {dict: 'an object', list: 'a list', str: 'a string'}


def preview(value, limit=60):
    """A short JSON rendering of a value for a message."""
    if isinstance(value, bool) or value is None:
        text = json.dumps(value)
    elif isinstance(value, (int, float)):
        text = '%g' % value
    else:
        try:
            text = json.dumps(value, sort_keys=True, default=str)
        except (TypeError, ValueError):
            text = repr(value)
    return text if len(text) <= limit else text[:limit] + '...'


def check_type(value, kind, where, noun):
    """Return ``value`` when it is a ``kind``; else raise the one line that
    says which endpoint answered what."""
    if not isinstance(value, kind):
        raise ApiError('%s answered %s that is not %s (%s)' % (where, noun, _KINDS[kind], preview(value)))
    return value


def check_list_of(value, kind, where, noun, item_noun):
    """``value`` is a list whose every element is a ``kind``."""
    for item in check_type(value, list, where, noun):
        check_type(item, kind, where, item_noun)
    return value


# -- options --------------------------------------------------------------------

def connection_argument_spec(default_url):
    return dict(
        url=dict(type='str', default=default_url),
        timeout=dict(type='float', default=10.0),
        max_response_bytes=dict(type='int', default=DEFAULT_MAX_RESPONSE_BYTES),
        validate_certs=dict(type='bool', default=True),
        ca_path=dict(type='path'),
        url_username=dict(type='str'),
        url_password=dict(type='str', no_log=True),
        bearer_token=dict(type='str', no_log=True),
        wait_timeout=dict(type='float', default=0.0),
    )


# Not a connection option, but every verification module's: the name of its
# row in a verification report (VerifierModule._row).
REPORT_ARGUMENT_SPEC = dict(report_check=dict(type='str'))

CONNECTION_MUTUALLY_EXCLUSIVE = [('url_username', 'bearer_token'), ('url_password', 'bearer_token')]
CONNECTION_REQUIRED_TOGETHER = [('url_username', 'url_password')]

# Grafana as a second service, on a module whose url is Prometheus' (the doc
# fragment connection.grafana_second).
GRAFANA_SECOND_ARGUMENT_SPEC = dict(
    grafana_url=dict(type='str', default='http://127.0.0.1:3000'),
    grafana_username=dict(type='str'),
    grafana_password=dict(type='str', no_log=True),
    grafana_token=dict(type='str', no_log=True),
)
GRAFANA_SECOND_MUTUALLY_EXCLUSIVE = [('grafana_username', 'grafana_token'), ('grafana_password', 'grafana_token')]
GRAFANA_SECOND_REQUIRED_TOGETHER = [('grafana_username', 'grafana_password')]


def require_url(params, name):
    url = params.get(name)
    try:
        parts = urlsplit(url)
        ok = parts.scheme in ('http', 'https') and bool(parts.hostname)
        dummy = parts.port  # a port that is not a number raises here
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise OptionError(name, 'an http:// or https:// URL with a host', redact(url))


def require_at_least(params, name, minimum, above=False):
    value = params.get(name)
    if value is None:
        return
    if value < minimum or (above and value == minimum):
        raise OptionError(name, ('more than %g' if above else 'at least %g') % minimum, value)


def require_items(params, name, noun):
    """Every element of list option ``name`` is a non-empty string."""
    for index, value in enumerate(params.get(name) or []):
        if not isinstance(value, str) or not value.strip():
            raise OptionError('%s[%d]' % (name, index), noun, value)


def validate_connection(params):
    require_url(params, 'url')
    require_at_least(params, 'timeout', 0, above=True)
    require_at_least(params, 'wait_timeout', 0)
    require_at_least(params, 'max_response_bytes', 1)


_NEWLINES_RE = re.compile(r'\s*[\r\n]+\s*')


def one_line(text):
    """A message as one line, whatever a server or a multi-line query put into it."""
    return _NEWLINES_RE.sub(' ', text)


class VerifierModule(AnsibleModule):
    """An AnsibleModule whose every result is redacted.

    Ansible masks the no_log options itself, but not a password written into
    a URL, nor one that a server echoes back under another shape.
    """

    def secrets(self):
        found = set(self.no_log_values)
        for value in self.params.values():
            if isinstance(value, str) and '@' in value:
                found.update(credential_forms(*url_credentials(value)))
        pairs = [('url_username', 'url_password'), ('grafana_username', 'grafana_password')]
        for user, password in pairs:
            found.update(credential_forms(self.params.get(user), self.params.get(password)))
        return found

    # What the module found, one line for the verification report's row;
    # the module body sets it as it learns.
    row_detail = ''

    def _row(self, ok, msg=''):
        """The report row of O(report_check), when the task asked for one.

        Every exit carries it, a failure before any answer too, so the
        playbook appends rows without working out what happened."""
        check = (getattr(self, 'params', None) or {}).get('report_check')
        if not check:
            return {}
        detail = '; '.join(part for part in (self.row_detail, msg) if part)
        return {'row': {'check': check, 'ok': ok, 'detail': detail}}

    def exit_json(self, **kwargs):
        kwargs.update(self._row(True))
        super().exit_json(**redact_all(kwargs, self.secrets()))

    def fail_json(self, msg, **kwargs):
        secrets = self.secrets()
        msg = one_line(redact(str(msg), secrets))
        kwargs.update(self._row(False, msg))
        super().fail_json(msg=msg, **redact_all(kwargs, secrets))


def new_module(argument_spec, default_url, mutually_exclusive=None, required_together=None, validate=None,
               grafana_second=False, **kwargs):
    """A VerifierModule with the shared connection options merged in and
    checked (with ``grafana_second``, Grafana's as a second service too),
    ``validate(params)`` run, and ``requests`` checked before anything else
    can need it."""
    spec = connection_argument_spec(default_url)
    spec.update(REPORT_ARGUMENT_SPEC)
    exclusive = CONNECTION_MUTUALLY_EXCLUSIVE + list(mutually_exclusive or [])
    together = CONNECTION_REQUIRED_TOGETHER + list(required_together or [])
    if grafana_second:
        spec.update(GRAFANA_SECOND_ARGUMENT_SPEC)
        exclusive += GRAFANA_SECOND_MUTUALLY_EXCLUSIVE
        together += GRAFANA_SECOND_REQUIRED_TOGETHER
    spec.update(argument_spec)
    module = VerifierModule(
        argument_spec=spec,
        mutually_exclusive=exclusive,
        required_together=together,
        supports_check_mode=True,
        **kwargs)
    try:
        validate_connection(module.params)
        if grafana_second:
            require_url(module.params, 'grafana_url')
        if validate is not None:
            validate(module.params)
    except ApiError as exc:
        module.fail_json(msg=exc.message, changed=False)
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
        module.fail_json(msg='Unexpected error in %s: %s: %s' % (module._name, type(exc).__name__,
                                                                 _snippet(str(exc))),
                         exception=traceback.format_exc(), changed=False)


# -- connection failures ----------------------------------------------------------

_REASONS = {
    errno.ECONNREFUSED: 'connection refused',
    errno.EHOSTUNREACH: 'host unreachable',
    errno.ENETUNREACH: 'network unreachable',
    errno.ECONNRESET: 'connection reset by peer',
    errno.ENOENT: 'no such socket',
    errno.EACCES: 'permission denied',
}

# What OpenSSL says when the first bytes back are not a TLS record, as when
# a plain-HTTP server answers the handshake.
_PLAIN_HTTP_REASONS = ('WRONG_VERSION_NUMBER', 'RECORD_LAYER_FAILURE', 'PACKET_LENGTH_TOO_LONG', 'HTTP_REQUEST')


def _causes(exc):
    """The exception and its causes, outermost first, across the ways
    requests and urllib3 wrap them."""
    seen = set()
    cur = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        yield cur
        nxt = cur.__cause__ or cur.__context__
        if nxt is None:
            # urllib3 keeps the root cause in `reason`, requests in args[0].
            nxt = getattr(cur, 'reason', None)
            if not isinstance(nxt, BaseException) and cur.args and isinstance(cur.args[0], BaseException):
                nxt = cur.args[0]
        cur = nxt if isinstance(nxt, BaseException) else None


def describe_os_error(exc):
    """Turn the innermost cause of a connection failure into a few words."""
    for cur in _causes(exc):
        if isinstance(cur, socket.gaierror):
            return 'name resolution failed (%s)' % (cur.strerror or cur)
        if isinstance(cur, OSError) and cur.errno in _REASONS:
            return _REASONS[cur.errno]
    text = str(exc)
    for needle, words in (('Connection refused', 'connection refused'),
                          ('Name or service not known', 'name resolution failed'),
                          ('No route to host', 'host unreachable')):
        if needle in text:
            return words
    return text


def describe_tls_error(exc):
    """``(words, hint)`` for a failed TLS handshake."""
    for cur in _causes(exc):
        if isinstance(cur, ssl.SSLCertVerificationError):
            return 'TLS verification failed (%s)' % (cur.verify_message or cur.reason), \
                'set ca_path, or validate_certs=false'
        if isinstance(cur, ssl.SSLError):
            reason = str(getattr(cur, 'reason', '') or '') + ' ' + str(cur)
            if any(r in reason.upper().replace(' ', '_') for r in _PLAIN_HTTP_REASONS):
                return 'it answered plain HTTP on an https URL', 'use http://'
    text = _snippet(str(exc))
    if 'CERTIFICATE_VERIFY_FAILED' in text:
        return 'TLS verification failed (%s)' % text, 'set ca_path, or validate_certs=false'
    return 'TLS handshake failed (%s)' % text, None


def _snippet(text, limit=200):
    text = ' '.join((text or '').split())
    return text if len(text) <= limit else text[:limit] + '...'


_HTML_DROP_RE = re.compile(r'(?is)<(script|style)\b.*?</\1\s*>')
_HTML_TITLE_RE = re.compile(r'(?is)<title\b[^>]*>(.*?)</title\s*>')
_HTML_TAG_RE = re.compile(r'(?s)<[^>]*>')


def html_text(text):
    """What a reader sees of an HTML error page: its title, or else its text."""
    title = _HTML_TITLE_RE.search(text)
    if title and title.group(1).strip():
        return _snippet(html.unescape(_HTML_TAG_RE.sub(' ', title.group(1))))
    return _snippet(html.unescape(_HTML_TAG_RE.sub(' ', _HTML_DROP_RE.sub(' ', text))))


def _status_hint(status):
    if status == 401:
        return 'check url_username/url_password or bearer_token'
    if status == 403:
        return 'the credentials lack permission for this endpoint'
    if status == 404:
        return 'check url (a reverse proxy path prefix?) and the names asked for'
    return None


# -- bounded reads ------------------------------------------------------------------

def timeout_error(where, timeout, answered):
    """The deadline passed before the headers came (``answered`` false), or
    while the body was coming."""
    if answered:
        return ApiError('%s did not finish its answer within %s s (timeout)' % (where, _fmt_num(timeout)),
                        transient=True)
    return ApiError('Could not reach %s: no answer within %s s (timeout)' % (where, _fmt_num(timeout)), transient=True)


def too_large_error(where, limit):
    return ApiError('%s answered more than %d bytes (max_response_bytes); ask for less, or raise max_response_bytes'
                    % (where, limit))


class ResponseTooLarge(Exception):
    pass


class DeadlinePassed(Exception):
    pass


def read_bounded(chunks, limit, deadline, clock=time.monotonic, truncate=False):
    """Join the byte ``chunks`` of a body, at most ``limit`` bytes of them,
    before ``deadline`` (a ``clock()`` value).

    Raises ResponseTooLarge past the limit (or, with ``truncate``, returns
    the first ``limit`` bytes), and DeadlinePassed past the deadline.
    """
    buf = bytearray()
    for chunk in chunks:
        buf += chunk
        if len(buf) > limit:
            if truncate:
                return bytes(buf[:limit])
            raise ResponseTooLarge(limit)
        if clock() > deadline:
            raise DeadlinePassed()
    return bytes(buf)


_local = threading.local()


class Watchdog:
    """Shuts the sockets of one request down when its deadline passes.

    A socket timeout bounds each wait for a byte, not the exchange: a server
    that sends one byte a second, in the headers or the body, would hold a
    read for as long as it likes. Shutting the socket down from a timer ends
    any read in progress at the deadline, whatever the caller is inside of.
    The connections of the client register their sockets with the watchdog
    of the thread that uses them.
    """

    def __init__(self, deadline, clock=time.monotonic):
        self.deadline = deadline
        self.clock = clock
        self.fired = False
        self._timers = []

    def expired(self):
        return self.fired or self.clock() > self.deadline

    def watch(self, sock):
        if sock is None:
            return
        timer = threading.Timer(max(0.0, self.deadline - self.clock()), self._fire, (sock,))
        timer.daemon = True
        timer.start()
        self._timers.append(timer)

    def _fire(self, sock):
        self.fired = True
        try:
            # The plain socket's shutdown, also for TLS: the TLS layer's own
            # would tear down its state under the reading thread.
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
        except (OSError, TypeError):
            pass

    def __enter__(self):
        _local.watchdog = self
        return self

    def __exit__(self, *exc_info):
        _local.watchdog = None
        for timer in self._timers:
            timer.cancel()


def watch_socket(sock):
    """Put ``sock`` under the current thread's watchdog, if there is one."""
    dog = getattr(_local, 'watchdog', None)
    if dog is not None:
        dog.watch(sock)


class _WatchedConnection:
    """Hands its socket to the watchdog each time it waits for an answer:
    a kept-alive connection is watched again for every request."""

    def getresponse(self, *args, **kwargs):
        watch_socket(getattr(self, 'sock', None))
        return super().getresponse(*args, **kwargs)


_POOL_CLASSES = {}


def _pool_classes():
    if not _POOL_CLASSES:
        http_conn = type('WatchedHTTPConnection', (_WatchedConnection, HTTPConnection), {})
        https_conn = type('WatchedHTTPSConnection', (_WatchedConnection, HTTPSConnection), {})
        _POOL_CLASSES['http'] = type('WatchedHTTPPool', (HTTPConnectionPool,), {'ConnectionCls': http_conn})
        _POOL_CLASSES['https'] = type('WatchedHTTPSPool', (HTTPSConnectionPool,), {'ConnectionCls': https_conn})
    return dict(_POOL_CLASSES)


class _WatchedAdapter(HTTPAdapter):
    """An adapter whose pools, direct or through a proxy, make watched connections."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes()

    def proxy_manager_for(self, *args, **kwargs):
        manager = super().proxy_manager_for(*args, **kwargs)
        manager.pool_classes_by_scheme = _pool_classes()
        return manager


# -- the client ---------------------------------------------------------------------

class HttpClient:
    """A pooled requests.Session bound to one base URL.

    ``SERVICE`` names the far end in messages ("Prometheus", "Grafana"). The
    adapter pool is sized for ``pool_size`` concurrent callers, so a thread pool
    of that size reuses connections instead of opening one per query.

    Credentials in the URL are taken out of it and sent as basic auth, so
    that the URL, which every message names, never carries them.
    """

    SERVICE = 'the server'

    def __init__(self, base_url, timeout=10.0, validate_certs=True, ca_path=None, username=None, password=None,
                 bearer_token=None, pool_size=10, max_response_bytes=DEFAULT_MAX_RESPONSE_BYTES, service=None):
        self.service = service or self.SERVICE
        url_user, url_password = url_credentials(base_url)
        if url_user is not None:
            parts = urlsplit(base_url)
            base_url = urlunsplit(parts._replace(netloc=parts.netloc.rpartition('@')[2]))
            if username is None and not bearer_token:
                username, password = url_user, url_password
        self.base_url = base_url.rstrip('/')
        self.timeout = timeout
        self.max_response_bytes = max_response_bytes
        self.session = requests.Session()
        adapter = _WatchedAdapter(pool_connections=1, pool_maxsize=max(1, pool_size), max_retries=0)
        self.session.mount('http://', adapter)
        self.session.mount('https://', adapter)
        self.session.verify = (ca_path or True) if validate_certs else False
        if username is not None:
            self.session.auth = (username, password or '')
        if bearer_token:
            self.session.headers['Authorization'] = 'Bearer %s' % bearer_token
        self.session.headers['Accept'] = 'application/json'

    @classmethod
    def from_module(cls, module, pool_size=10, prefix='', service=None):
        """Build from the connection options; ``prefix`` selects a second set
        (for example ``grafana_``) on modules that talk to two services, and
        ``service`` names the far end when the class alone does not."""
        p = module.params
        if prefix:
            creds = dict(username=p.get(prefix + 'username'), password=p.get(prefix + 'password'),
                         bearer_token=p.get(prefix + 'token'))
        else:
            creds = dict(username=p['url_username'], password=p['url_password'], bearer_token=p['bearer_token'])
        return cls(p[prefix + 'url'], timeout=p['timeout'], validate_certs=p['validate_certs'], ca_path=p['ca_path'],
                   pool_size=pool_size, max_response_bytes=p['max_response_bytes'], service=service, **creds)

    def endpoint(self, path):
        return self.base_url + path

    def where(self, path):
        return '%s at %s' % (self.service, self.endpoint(path))

    def request_json(self, method, path, params=None, data=None, accept_status=(), json_body=None):
        """Return ``(status, parsed JSON)``; raise ApiError for everything else.

        Statuses in ``accept_status`` are handed back with their JSON body
        instead of raising: some APIs (Prometheus' 400/422 for bad PromQL,
        Grafana's 400 for a failed datasource check) put the answer there.
        """
        status, raw, text, ctype = self.request_raw(method, path, params=params, data=data,
                                                    accept_status=accept_status, json_body=json_body)
        try:
            body = json.loads(raw)
        except ValueError:
            raise ApiError('%s answered HTTP %d with a body that is not JSON (%s): %r'
                           % (self.where(path), status, ctype, _snippet(text, 120)), status=status, body=text)
        return status, body

    def request_raw(self, method, path, params=None, data=None, accept_status=(), json_body=None):
        """Return ``(status, body bytes, body text, content type)`` of an
        answer read within the deadline and the size cap; raise ApiError for a
        failed request, a redirect, or a status of 300 and above outside
        ``accept_status``."""
        where = self.where(path)
        with Watchdog(time.monotonic() + self.timeout) as dog:
            try:
                # Redirects stay unfollowed: requests would read each
                # redirect's body whole, past both bounds.
                resp = self.session.request(method, self.endpoint(path), params=params, data=data, json=json_body,
                                            timeout=self.timeout, stream=True, allow_redirects=False)
            except requests.exceptions.RequestException as exc:
                raise self._unreachable(where, exc, dog)
            if dog.expired():
                # The watchdog cut the headers short, and the parser took the
                # end of the stream for their end.
                resp.close()
                raise timeout_error(where, self.timeout, answered=False)
            try:
                status = resp.status_code
                failing = (status >= 300 and status not in accept_status)
                raw = self._read(resp, where, dog, truncate=failing)
            finally:
                resp.close()
        text = raw.decode('utf-8', 'replace')
        ctype = resp.headers.get('Content-Type') or 'no content type'
        if 300 <= status < 400 and status not in accept_status:
            raise ApiError('%s answered HTTP %d %s, a redirect to %s; set url to the address it points to'
                           % (where, status, resp.reason or '', redact(resp.headers.get('Location') or 'nowhere')),
                           status=status, body=text)
        if failing:
            detail = _error_detail(raw, text, ctype)
            hint = _status_hint(status)
            msg = '%s answered HTTP %d %s' % (where, status, resp.reason or '')
            if detail:
                msg += ': %s' % detail
            if hint:
                msg += ' (%s)' % hint
            raise ApiError(msg.replace(' :', ':'), transient=status >= 500 or status == 429, status=status,
                           body=text)
        return status, raw, text, ctype

    def _unreachable(self, where, exc, dog):
        if dog.expired() or isinstance(exc, requests.exceptions.Timeout):
            return timeout_error(where, self.timeout, answered=False)
        if isinstance(exc, requests.exceptions.SSLError):
            words, hint = describe_tls_error(exc)
            return ApiError('Could not reach %s: %s%s' % (where, words, ('; ' + hint) if hint else ''))
        if isinstance(exc, requests.exceptions.ConnectionError):
            return ApiError('Could not reach %s: %s' % (where, describe_os_error(exc)), transient=True)
        return ApiError('Could not reach %s: %s' % (where, _snippet(str(exc))))

    def _read(self, resp, where, dog, truncate):
        limit = min(ERROR_BODY_BYTES, self.max_response_bytes) if truncate else self.max_response_bytes
        too_large = too_large_error(where, self.max_response_bytes)
        too_slow = timeout_error(where, self.timeout, answered=True)
        declared = resp.headers.get('Content-Length') or ''
        if not truncate and declared.isdigit() and int(declared) > limit:
            raise too_large
        try:
            raw = read_bounded(resp.iter_content(CHUNK_BYTES), limit, dog.deadline, dog.clock, truncate)
        except ResponseTooLarge:
            raise too_large
        except DeadlinePassed:
            raise too_slow
        except (requests.exceptions.RequestException, OSError) as exc:
            if dog.expired():
                raise too_slow
            raise ApiError('%s broke off its answer: %s' % (where, describe_os_error(exc)), transient=True)
        # A body that ends at the connection's close looks complete when the
        # watchdog cut it; only the clock can tell.
        if dog.expired():
            raise too_slow
        return raw

    def get_json(self, path, params=None, accept_status=()):
        return self.request_json('GET', path, params=params, accept_status=accept_status)

    def metrics(self):
        """The service's own ``/metrics`` (Prometheus and Alertmanager both
        serve it), parsed by parse_metrics."""
        return parse_metrics(self.request_raw('GET', '/metrics')[2])


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """The Prometheus text format as ``{(name, ((label, value), ...)): value}``."""
    out = {}
    for line in (text or '').splitlines():
        if not line or line.startswith('#'):
            continue
        match = _SAMPLE.match(line)
        if not match:
            continue
        try:
            value = float(match.group(3))
        except ValueError:
            continue
        labels = tuple(sorted(_LABEL.findall(match.group(2) or '')))
        out[(match.group(1), labels)] = value
    return out


def _error_detail(raw, text, ctype):
    try:
        body = json.loads(raw)
    except ValueError:
        if 'html' in ctype.lower() or text.lstrip()[:1] == '<':
            return html_text(text)
        return _snippet(text, 160)
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
