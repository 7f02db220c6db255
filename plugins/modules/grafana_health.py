#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) CoinPilot platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: grafana_health
short_description: Assert that Grafana, its datasources and its dashboards are healthy
version_added: 0.1.0
description:
  - Checks that Grafana answers and that its database is ok.
  - Checks that each given datasource exists and passes Grafana's own health check of it (for a
    Prometheus datasource, Grafana queries Prometheus).
  - Checks that each given dashboard exists and, when asked, that it was provisioned from files.
  - 'Grafana HTTP API endpoints used: C(GET /api/health) (C(database) is C(ok); HTTP 503 when it is not),
    C(GET /api/datasources/uid/<uid>), C(GET /api/datasources/uid/<uid>/health) (C(status) is C(OK);
    Grafana answers HTTP 400 with C(status) C(ERROR) and a C(message) when the check fails), and
    C(GET /api/dashboards/uid/<uid>) (C(dashboard.title), C(meta.provisioned)).'
author:
  - CoinPilot platform team (@coinpilot)
extends_documentation_fragment:
  - coinpilot.monitoring.attributes
  - coinpilot.monitoring.connection
  - coinpilot.monitoring.connection.grafana
options:
  datasources:
    description:
      - UIDs of datasources that must exist and pass their health check.
    type: list
    elements: str
    default: []
  dashboards:
    description:
      - UIDs of dashboards that must exist.
    type: list
    elements: str
    default: []
  require_provisioned:
    description:
      - Also require every dashboard in O(dashboards) to be provisioned (C(meta.provisioned)), so that it
        comes from the files this collection deploys rather than from a hand edit.
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: Grafana, its Prometheus datasource and the Infra Overview dashboard are healthy
  coinpilot.monitoring.grafana_health:
    url_username: admin
    url_password: "{{ grafana_admin_password }}"
    datasources: [prometheus]
    dashboards: [coinpilot-infra-01]
    require_provisioned: true
    wait_timeout: 60
'''

RETURN = r'''
row:
  description: The report row of O(report_check), with C(check), C(ok) and C(detail). On success, C(detail) says
    Grafana's version, and the datasources and dashboards it checked; on failure, it is the message.
  returned: with O(report_check)
  type: dict
  sample: {check: grafana healthy, ok: true, detail: "Grafana 12.3.3, datasource prometheus OK, dashboard coinpilot-infra-01 provisioned"}
health:
  description: The body of C(/api/health).
  returned: when Grafana answered
  type: dict
  sample: {commit: 087143285, database: ok, version: 10.4.2}
datasources:
  description: One entry per datasource in O(datasources).
  returned: when Grafana answered
  type: list
  elements: dict
  sample:
    - uid: prometheus
      found: true
      name: Prometheus
      type: prometheus
      status: OK
      message: Successfully queried the Prometheus API.
dashboards:
  description: One entry per dashboard in O(dashboards).
  returned: when Grafana answered
  type: list
  elements: dict
  sample:
    - uid: coinpilot-infra-01
      found: true
      title: Infra Overview
      provisioned: true
problems:
  description: One line per failed expectation.
  returned: always
  type: list
  elements: str
'''

from ansible_collections.coinpilot.monitoring.plugins.module_utils._http import new_module, require_items, run_guarded
from ansible_collections.coinpilot.monitoring.plugins.module_utils._grafana import GrafanaClient
from ansible_collections.coinpilot.monitoring.plugins.module_utils._checks import check_grafana


def validate(params):
    require_items(params, 'datasources', 'a datasource uid')
    require_items(params, 'dashboards', 'a dashboard uid')


def run(module):
    p = module.params
    client = GrafanaClient.from_module(module, pool_size=2)
    check_grafana(client, p['datasources'], p['dashboards'], p['require_provisioned'], p['wait_timeout']).finish(module)


def main():
    module = new_module(
        dict(
            datasources=dict(type='list', elements='str', default=[]),
            dashboards=dict(type='list', elements='str', default=[]),
            require_provisioned=dict(type='bool', default=False),
        ),
        default_url='http://127.0.0.1:3000',
        validate=validate,
    )
    run_guarded(module, run)


if __name__ == '__main__':
    main()
