# -*- coding: utf-8 -*-
# Copyright (c) CoinPilot platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later


class ModuleDocFragment:

    # The options every verification module shares. The url option, whose
    # default depends on the service, comes from PROMETHEUS or GRAFANA below.
    DOCUMENTATION = r'''
options:
  timeout:
    description:
      - Seconds to wait for each HTTP answer.
    type: float
    default: 10.0
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
      - Seconds during which the module polls, with backoff, until its condition holds.
      - Targets appear only after a scrape interval or two, so a check run right after a deploy
        should wait a little. V(0) checks once.
      - Connection failures and HTTP 5xx answers are retried during this time; HTTP 401, 403 and 404,
        and PromQL that Prometheus rejects, fail at once because waiting cannot fix them.
    type: float
    default: 0.0
notes:
  - The module is read-only. It never reports a change, and it does the same work in check mode.
  - It runs on the managed host and needs only Python's standard library and C(requests).
  - O(url_username) and O(url_password) go together; neither goes with O(bearer_token).
requirements:
  - requests
'''

    PROMETHEUS = r'''
options:
  url:
    description:
      - Base URL of Prometheus, without C(/api/v1).
    type: str
    default: http://127.0.0.1:9090
'''

    GRAFANA = r'''
options:
  url:
    description:
      - Base URL of Grafana, without C(/api).
    type: str
    default: http://127.0.0.1:3000
'''

    ALERTMANAGER = r'''
options:
  url:
    description:
      - Base URL of Alertmanager, without C(/api/v2).
    type: str
    default: http://127.0.0.1:9093
'''
