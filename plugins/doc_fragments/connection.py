# -*- coding: utf-8 -*-
# Copyright (c) CoinPilot platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later


class ModuleDocFragment:

    # The options every verification module shares. The url option, whose
    # default depends on the service, comes from PROMETHEUS or GRAFANA below.
    DOCUMENTATION = r'''
options:
  report_check:
    description:
      - The name of this check in a verification report. With it, every result, a failure too, carries
        RV(row), C(check), C(ok) and C(detail); the detail says what the module found, or why it failed.
        A playbook then collects report rows without working out what happened.
    type: str
  timeout:
    description:
      - Seconds each HTTP request may take in all, from connecting to the last byte of the answer. It is a
        deadline, not only a wait for each byte, so a server that sends its answer one byte at a time is cut
        off at it. Also the deadline of the Docker engine request of M(coinpilot.monitoring.cadvisor_coverage).
      - Must be more than V(0).
    type: float
    default: 10.0
  max_response_bytes:
    description:
      - The most bytes of an answer's body that the module reads, after decompression. A longer answer
        fails the module, with this option named, instead of filling the host's memory.
      - The default, 32 MiB, holds the answer to any query of a dashboard many times over.
      - Must be at least V(1).
    type: int
    default: 33554432
  validate_certs:
    description:
      - Verify the server's TLS certificate when O(url) uses HTTPS.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file with the CA certificates that verify the server, instead of the system's.
    type: path
  url_username:
    description:
      - User name for HTTP basic authentication.
    type: str
  url_password:
    description:
      - Password for HTTP basic authentication.
    type: str
  bearer_token:
    description:
      - Token sent in an C(Authorization) header as C(Bearer <token>), for example a Grafana service account token.
    type: str
  wait_timeout:
    description:
      - Seconds during which the module polls, with backoff, until its condition holds. Must not be negative.
      - Targets appear only after a scrape interval or two, so a check run right after a deploy
        should wait a little. V(0) checks once.
      - Connection failures and HTTP 5xx answers are retried during this time; HTTP 401, 403 and 404,
        and PromQL that Prometheus rejects, fail at once because waiting cannot fix them.
    type: float
    default: 0.0
notes:
  - It runs on the managed host and needs only Python's standard library and C(requests).
  - O(url_username) and O(url_password) go together; neither goes with O(bearer_token).
  - Every answer's shape is checked before it is used. A body that is not what the API documents (a list
    where an object belongs, a result that is not a list) fails the module with one line naming the endpoint.
  - Redirects are not followed; a redirect fails the module, naming where it points, so that O(url) can be set there.
  - Passwords and tokens are masked in every message and returned value, also where a server echoes them back.
requirements:
  - requests
'''

    PROMETHEUS = r'''
options:
  url:
    description:
      - Base URL of Prometheus, without C(/api/v1). It needs the C(http://) or C(https://) scheme and a host.
      - A user and password written into it (C(https://user:password@host)) are sent as basic authentication
        and never appear in messages; O(url_username) and O(url_password) take precedence.
    type: str
    default: http://127.0.0.1:9090
'''

    GRAFANA = r'''
options:
  url:
    description:
      - Base URL of Grafana, without C(/api). It needs the C(http://) or C(https://) scheme and a host.
      - A user and password written into it (C(https://user:password@host)) are sent as basic authentication
        and never appear in messages; O(url_username) and O(url_password) take precedence.
    type: str
    default: http://127.0.0.1:3000
'''

    # Grafana as a second service, on a module whose O(url) is Prometheus'.
    GRAFANA_SECOND = r'''
options:
  grafana_url:
    description:
      - Base URL of Grafana, without C(/api). It needs the C(http://) or C(https://) scheme and a host.
    type: str
    default: http://127.0.0.1:3000
  grafana_username:
    description:
      - User name for Grafana's basic authentication.
    type: str
  grafana_password:
    description:
      - Password for Grafana's basic authentication.
    type: str
  grafana_token:
    description:
      - Grafana service account token.
    type: str
notes:
  - O(grafana_username) and O(grafana_password) go together; neither goes with O(grafana_token).
'''

    ALERTMANAGER = r'''
options:
  url:
    description:
      - Base URL of Alertmanager, without C(/api/v2).
    type: str
    default: http://127.0.0.1:9093
'''
