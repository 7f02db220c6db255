#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) CoinPilot platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: config_reload
short_description: Reload Prometheus or Alertmanager when a config file is newer than its last load, and confirm it
version_added: 0.2.0
description:
  - Compares the newest modification time of O(files) with the service's own
    C(<service>_config_last_reload_success_timestamp_seconds), read from its C(/metrics). When a file is newer,
    it asks the service to reload (C(POST /-/reload), which needs C(--web.enable-lifecycle)), then confirms that
    C(<service>_config_last_reload_successful) is 1.
  - Comparing times, rather than trusting whether this run changed a file, also catches a file written by an
    earlier run that failed before it could reload.
  - One module call for what took a stat per file, a read of the metrics, the reload and its confirmation, so an
    idempotent rerun pays one round trip to the host.
  - A reload the service refuses fails the module with the service's own words. The service keeps its previous
    config.
author:
  - CoinPilot platform team (@coinpilot)
extends_documentation_fragment:
  - coinpilot.monitoring.connection
attributes:
  check_mode:
    support: full
    description:
      - Check mode writes no file, so there is no time to compare. The module reports the reload that
        O(files_changed) predicts, and sends no request.
  diff_mode:
    support: none
    description: There is no diff; a reload is all it does.
options:
  service:
    description: The service at O(url); it names the metrics the module reads.
    type: str
    choices: [prometheus, alertmanager]
    default: prometheus
  url:
    description:
      - Base URL of the service, without C(/-/reload). It needs the C(http://) or C(https://) scheme and a host.
    type: str
    default: http://127.0.0.1:9090
  files:
    description:
      - The config files the service loads on a reload, as paths on the host. Missing ones are left out of the
        comparison.
    type: list
    elements: path
    required: true
  files_changed:
    description:
      - Whether this run changed one of O(files) (in check mode, would change one) while the service kept running.
        Only check mode reads it, to report the reload a real run would make.
    type: bool
    default: false
  container:
    description: The service's container, named in a failure's hint to read its log.
    type: str
notes:
  - O(files) are read on the managed host, where the module runs.
  - O(wait_timeout) is not used; the confirmation waits up to O(timeout).
requirements:
  - requests
'''

EXAMPLES = r'''
- name: Reload and confirm
  coinpilot.monitoring.config_reload:
    url: http://127.0.0.1:9090
    files:
      - /opt/monitoring/prometheus/prometheus.yml
      - /opt/monitoring/prometheus/rules/coinpilot-alerts.yml
    files_changed: "{{ __prometheus_config is changed }}"
    container: prometheus
'''

RETURN = r'''
reloaded:
  description: Whether the module reloaded the service (in check mode, whether it would).
  returned: always
  type: bool
newest_file_time:
  description: The newest modification time of O(files), in Unix seconds; V(0) when none exists.
  returned: when not in check mode
  type: float
last_reload_time:
  description: When the service last loaded its config successfully, in Unix seconds, as it was before any reload.
  returned: when not in check mode
  type: float
row:
  description: The report row of O(report_check), with C(check), C(ok) and C(detail), on every exit, a failure too.
  returned: with O(report_check)
  type: dict
  sample: {check: config reloaded, ok: true, detail: config up to date}
'''

import os
import time

from ansible_collections.coinpilot.monitoring.plugins.module_utils._http import HttpClient, new_module, run_guarded


def newest_time(paths):
    """The newest modification time among ``paths`` that exist; 0 when none does."""
    times = []
    for path in paths:
        try:
            times.append(os.stat(path).st_mtime)
        except FileNotFoundError:
            continue
    return max(times, default=0.0)


def sample(metrics, name):
    """The value of the unlabelled series ``name``, or None."""
    return metrics.get((name, ()))


def run(module):
    params = module.params
    service = params['service']
    name = 'Prometheus' if service == 'prometheus' else 'Alertmanager'
    if module.check_mode:
        module.row_detail = 'would reload' if params['files_changed'] else 'no reload predicted'
        module.exit_json(changed=params['files_changed'], reloaded=params['files_changed'])
    client = HttpClient.from_module(module, pool_size=1, service=name)
    newest = newest_time(params['files'])
    last = sample(client.metrics(), '%s_config_last_reload_success_timestamp_seconds' % service) or 0.0
    result = dict(newest_file_time=newest, last_reload_time=last)
    if newest <= last:
        module.row_detail = 'config up to date'
        module.exit_json(changed=False, reloaded=False, **result)
    # The service answers a reload when it has finished it: 200 when it took,
    # 500 with its own words when it refused the config.
    status, dummy, text, dummy = client.request_raw('POST', '/-/reload', accept_status=(500,))
    successful = '%s_config_last_reload_successful' % service
    deadline = time.monotonic() + params['timeout']
    while True:
        ok = sample(client.metrics(), successful) == 1
        if ok or status != 200 or time.monotonic() >= deadline:
            break
        time.sleep(0.5)
    if status != 200 or not ok:
        hint = (" See 'docker logs %s'." % params['container']) if params['container'] else ''
        module.fail_json(
            msg='%s did not confirm the reload (%s is not 1)%s; it keeps its previous config.%s'
                % (name, successful, (': ' + text.strip()) if status != 200 and text.strip() else '', hint),
            changed=False, reloaded=False, **result)
    module.row_detail = 'reloaded and confirmed'
    module.exit_json(changed=True, reloaded=True, **result)


def main():
    module = new_module(
        dict(
            service=dict(type='str', choices=['prometheus', 'alertmanager'], default='prometheus'),
            files=dict(type='list', elements='path', required=True),
            files_changed=dict(type='bool', default=False),
            container=dict(type='str'),
        ),
        default_url='http://127.0.0.1:9090',
    )
    run_guarded(module, run)


if __name__ == '__main__':
    main()
