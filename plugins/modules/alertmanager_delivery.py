#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) CoinPilot platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: alertmanager_delivery
short_description: Prove that an alert sent to Alertmanager reaches its receiver
version_added: 0.2.0
description:
  - Posts one synthetic alert through Alertmanager's C(/api/v2/alerts), labelled as a test
    (C(coinpilot_test=true) and a unique C(coinpilot_test_id)), and follows it through each step until it is delivered.
  - "Step C(reach): Alertmanager answers C(/api/v2/status). Step C(post): it accepts the alert. Step C(route): the alert
    is routed to a receiver that has integrations (and to O(receiver), when given). Step C(receiver) and C(notify): the
    notification is sent, as counted by Alertmanager's C(alertmanager_notifications_total) for the receiver's integrations,
    (requests less failed requests), and, with O(capture_url), recorded by the receiver itself."
  - A failure names the step that broke, and why, for example that the receiver answered an error
    (C(alertmanager_notifications_failed_total) with reason C(serverError) or C(clientError)) or that every attempt failed.
  - The test alert is then resolved (O(resolve)), so it does not linger.
  - This really notifies the receiver (a message in the team's Discord). Run it on purpose, not on every deploy.
author:
  - CoinPilot platform team (@coinpilot)
extends_documentation_fragment:
  - coinpilot.monitoring.connection
  - coinpilot.monitoring.connection.alertmanager
attributes:
  check_mode:
    support: partial
    description: Can run in check_mode and return changed status prediction without modifying target.
    details: In check mode the module only checks that Alertmanager answers (step C(reach)), and posts nothing.
  diff_mode:
    support: none
    description: Nothing is configured, so there is no diff.
options:
  receiver:
    description:
      - The receiver the test alert must be routed to. Without it, any receiver with integrations will do.
    type: str
  severity:
    description:
      - The C(severity) label of the test alert, which selects its route.
    type: str
    default: critical
  alertname:
    description:
      - The C(alertname) label of the test alert.
    type: str
    default: CoinpilotDeliveryTest
  labels:
    description:
      - More labels for the test alert, for example C(host) to test a host's route. They cannot replace the test labels.
    type: dict
    default: {}
  summary:
    description:
      - The C(summary) annotation, which receivers show as the text of the message.
    type: str
    default: Test notification from coinpilot.monitoring; no action is needed.
  delivery_timeout:
    description:
      - Seconds to wait for the notification. It must exceed the route's C(group_wait).
    type: float
    default: 120.0
  capture_url:
    description:
      - URL of a recording receiver that lists what it received (C(GET) answers a JSON list of records with C(status),
        C(received_at), C(body) and C(text)), as the test rig's recorder does. The notification counts as delivered only
        once a record holding the test alert's id appears there, and the module returns it.
      - Without it the proof is Alertmanager's own count of successful notifications.
    type: str
  resolve:
    description:
      - Resolve the test alert at the end, so that it does not stay active until it times out.
    type: bool
    default: true
notes:
  - Unlike the read-only modules of this collection, it posts (and resolves) a test alert, which notifies the receiver.
    It reports no change, because no configuration changes; in check mode it only does step C(reach).
  - Without O(capture_url), a real alert notified through the same integration at the same moment counts as well.
'''

EXAMPLES = r'''
- name: A test alert reaches the team's Discord
  coinpilot.monitoring.alertmanager_delivery:
    receiver: discord
    severity: critical
    delivery_timeout: 90

- name: In the test rig, the recording receiver got the Discord message
  coinpilot.monitoring.alertmanager_delivery:
    receiver: discord
    capture_url: http://127.0.0.1:18080/recorded
  register: delivery
'''

RETURN = r'''
row:
  description: The report row of O(report_check), with C(check), C(ok) and C(detail). On success, C(detail) gives
    Alertmanager's version in check mode, and otherwise the receivers, integrations and time of the delivery; on
    failure, it is the message.
  returned: with O(report_check)
  type: dict
  sample: {check: alert delivered, ok: true, detail: "test alert routed to discord (discord), delivered in 1.2 s"}
alertmanager_version:
  description: Alertmanager's version, from C(/api/v2/status).
  returned: when Alertmanager answered
  type: str
  sample: 0.33.1
alert:
  description: The labels of the test alert as posted.
  returned: always
  type: dict
  sample: {alertname: CoinpilotDeliveryTest, severity: critical, coinpilot_test: "true", coinpilot_test_id: 5f0c2a1e9b7d}
receivers:
  description: The receivers Alertmanager routed the test alert to.
  returned: when the alert was routed
  type: list
  elements: str
  sample: [discord]
integrations:
  description: The integrations of those receivers, as named in Alertmanager's metrics.
  returned: when the alert was routed
  type: list
  elements: str
  sample: [discord]
notifications_sent:
  description:
    - How many notification requests through those integrations Alertmanager counted as successful meanwhile
      (C(alertmanager_notification_requests_total) less C(alertmanager_notification_requests_failed_total)).
  returned: when the delivery was followed
  type: int
  sample: 1
notification:
  description:
    - The record of the notification at the receiver, with O(capture_url) (C(status), C(received_at), C(body), C(text));
      C(null) without it.
  returned: when the delivery was followed
  type: dict
  sample: {status: 204, body: {content: "", embeds: [{title: "[FIRING:1] CoinpilotDeliveryTest", color: 10038562}]}}
elapsed:
  description: Seconds from posting the alert to the proof of delivery.
  returned: on success
  type: float
  sample: 1.42
step:
  description: The step that failed (C(reach), C(post), C(route), C(receiver) or C(notify)).
  returned: on failure
  type: str
  sample: receiver
steps:
  description: The steps passed, in order, each with C(step) and C(detail).
  returned: always
  type: list
  elements: dict
  sample: [{step: reach, detail: Alertmanager 0.33.1}]
'''

import time
import uuid
from datetime import datetime, timezone

from ansible_collections.coinpilot.monitoring.plugins.module_utils._alertmanager import (
    AlertmanagerClient, counter_by, increase, receiver_integrations)
from ansible_collections.coinpilot.monitoring.plugins.module_utils._http import (
    ApiError, HttpClient, new_module, poll, run_guarded)

# A notification counts once, however many requests its retries take; a
# request counts each attempt. Sent = requests that did not fail.
NOTIFICATIONS = 'alertmanager_notifications_total'
FAILED = 'alertmanager_notifications_failed_total'
REQUESTS = 'alertmanager_notification_requests_total'
REQUESTS_FAILED = 'alertmanager_notification_requests_failed_total'
# Alertmanager's reasons for a failed notification that mean the receiver
# itself answered with an error status.
RECEIVER_REASONS = ('clientError', 'serverError')


class StepFailed(Exception):
    def __init__(self, step, message):
        super().__init__(message)
        self.step = step
        self.message = message


def _now():
    return datetime.now(timezone.utc).isoformat().replace('+00:00', 'Z')


def delivery_verdict(sent, failed_by_reason, requests_failed, records, test_id, capture):
    """Decide, from what Alertmanager and the receiver report so far, whether
    the notification arrived: ``('ok', record)``, ``(None, None)`` while
    undecided, or raise StepFailed."""
    mine = [r for r in records if test_id in (r.get('text') or '')]
    answered = [r for r in mine if int(r.get('status') or 0) >= 400]
    delivered = [r for r in mine if 200 <= int(r.get('status') or 0) < 300]
    if delivered:
        return 'ok', delivered[0]
    if answered:
        raise StepFailed('receiver', 'the receiver answered HTTP %s to the notification' % answered[-1].get('status'))
    receiver_errors = {k: v for k, v in failed_by_reason.items() if k in RECEIVER_REASONS}
    if receiver_errors:
        raise StepFailed('receiver', 'the receiver answered an error: %s rose (%s)' % (
            FAILED, ', '.join('reason %s +%g' % kv for kv in sorted(receiver_errors.items()))))
    if failed_by_reason:
        raise StepFailed('notify', 'the notification failed: %s rose (%s)' % (
            FAILED, ', '.join('reason %s +%g' % kv for kv in sorted(failed_by_reason.items()))))
    if sent and not capture and not requests_failed:
        return 'ok', None
    return None, None


def run(module):
    p = module.params
    client = AlertmanagerClient.from_module(module)
    test_id = uuid.uuid4().hex[:12]
    labels = dict((str(k), str(v)) for k, v in (p['labels'] or {}).items())
    labels.update(alertname=p['alertname'], severity=p['severity'], coinpilot_test='true', coinpilot_test_id=test_id)
    result = dict(changed=False, alert=labels, steps=[])
    alert = {'labels': labels, 'annotations': {'summary': p['summary'],
                                               'description': 'coinpilot.monitoring delivery test %s' % test_id}}

    def passed(step, detail):
        result['steps'].append({'step': step, 'detail': detail})

    def fail(step, message):
        module.fail_json(msg="Step '%s' failed: %s" % (step, message), step=step, **result)

    try:
        dummy, status = poll(lambda: (True, client.status()), p['wait_timeout'])
    except ApiError as exc:
        fail('reach', exc.message)
    result['alertmanager_version'] = (status.get('versionInfo') or {}).get('version', '')
    passed('reach', 'Alertmanager %s at %s' % (result['alertmanager_version'], client.base_url))
    if module.check_mode:
        module.row_detail = 'Alertmanager %s' % result['alertmanager_version']
        module.exit_json(**result)

    integrations_of = receiver_integrations((status.get('config') or {}).get('original'))
    capture = (HttpClient(p['capture_url'], timeout=p['timeout'], max_response_bytes=p['max_response_bytes'],
                          service='the recording receiver') if p['capture_url'] else None)
    try:
        before = client.metrics()
        started = time.monotonic()
        alert['startsAt'] = _now()
        client.post_alerts([alert])
    except ApiError as exc:
        fail('post', exc.message)
    passed('post', 'test alert %s posted' % test_id)

    try:
        try:
            deliver(module, client, capture, integrations_of, before, started, test_id, result, passed)
        except ApiError as exc:
            raise StepFailed('notify', exc.message)
    except StepFailed as exc:
        _resolve(client, alert, p['resolve'])
        fail(exc.step, exc.message)
    _resolve(client, alert, p['resolve'])
    module.row_detail = 'test alert routed to %s (%s), delivered in %s s' % (
        ', '.join(result['receivers']), ', '.join(result['integrations']), result['elapsed'])
    module.exit_json(**result)


def deliver(module, client, capture, integrations_of, before, started, test_id, result, passed):
    p = module.params

    def routed():
        found = client.alerts({'coinpilot_test_id': test_id})
        return bool(found), found

    ok, found = poll(routed, min(10.0, p['delivery_timeout']), first_delay=0.2, max_delay=1.0)
    if not ok:
        raise StepFailed('route', 'Alertmanager accepted the test alert but does not list it')
    names = sorted({r.get('name') for r in (found[0].get('receivers') or []) if r.get('name')})
    result['receivers'] = names
    integrations = sorted({i for n in names for i in integrations_of.get(n, [])})
    result['integrations'] = integrations
    if p['receiver'] and p['receiver'] not in names:
        raise StepFailed('route', "the route matched receiver(s) %s, not '%s' (severity=%s); check the routes"
                         % (', '.join(names) or 'none', p['receiver'], p['severity']))
    if not integrations:
        raise StepFailed('route', 'the route matched no receiver that notifies anyone: %s has no integrations '
                         '(severity=%s goes to the default route?)' % (', '.join(names) or 'none', p['severity']))
    passed('route', 'routed to %s (%s)' % (', '.join(names), ', '.join(integrations)))

    only = set(integrations)
    state = {}

    def check():
        now = client.metrics()
        grown = dict((name, sum(increase(counter_by(before, name, 'integration', only),
                                         counter_by(now, name, 'integration', only)).values()))
                     for name in (NOTIFICATIONS, REQUESTS, REQUESTS_FAILED))
        state['sent'] = max(0, int(grown[REQUESTS] - grown[REQUESTS_FAILED]))
        state['requests_failed'] = int(grown[REQUESTS_FAILED])
        failed = {}
        for (metric, labels), value in now.items():
            labels = dict(labels)
            if metric == FAILED and labels.get('integration') in only:
                old = before.get((metric, tuple(sorted(labels.items()))), 0.0)
                if value > old:
                    failed[labels.get('reason', 'unknown')] = failed.get(labels.get('reason', 'unknown'), 0.0) + value - old
        records = []
        if capture is not None:
            dummy, records = capture.get_json('')
            records = records if isinstance(records, list) else []
        verdict, record = delivery_verdict(state['sent'], failed, state['requests_failed'], records,
                                           test_id, capture is not None)
        state['record'] = record
        return verdict == 'ok', record

    ok, record = poll(check, p['delivery_timeout'], first_delay=0.2, max_delay=1.0)
    result['notifications_sent'] = state.get('sent', 0)
    if not ok:
        if state.get('requests_failed'):
            raise StepFailed('notify', 'the notification failed: %d attempt(s) through %s failed (%s rose) and none '
                             'succeeded within %g s; Alertmanager keeps retrying, see its log'
                             % (state['requests_failed'], ', '.join(integrations), REQUESTS_FAILED, p['delivery_timeout']))
        raise StepFailed('notify', 'no notification through %s within %g s; is delivery_timeout longer than the '
                         "route's group_wait?" % (', '.join(integrations), p['delivery_timeout']))
    result['elapsed'] = round(time.monotonic() - started, 3)
    if record is not None:
        record = dict((k, v) for k, v in record.items() if k != 'path_sha256')
    result['notification'] = record
    passed('notify', 'delivered through %s in %.2f s' % (', '.join(integrations), result['elapsed']))


def _resolve(client, alert, wanted):
    if not wanted:
        return
    try:
        client.post_alerts([dict(alert, endsAt=_now())])
    except ApiError:
        # The test alert then times out by itself (resolve_timeout); the
        # verdict already stands.
        pass


def main():
    module = new_module(
        dict(
            receiver=dict(type='str'),
            severity=dict(type='str', default='critical'),
            alertname=dict(type='str', default='CoinpilotDeliveryTest'),
            labels=dict(type='dict', default={}),
            summary=dict(type='str', default='Test notification from coinpilot.monitoring; no action is needed.'),
            delivery_timeout=dict(type='float', default=120.0),
            capture_url=dict(type='str'),
            resolve=dict(type='bool', default=True),
        ),
        default_url='http://127.0.0.1:9093',
    )
    run_guarded(module, run)


if __name__ == '__main__':
    main()
