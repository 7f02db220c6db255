# -*- coding: utf-8 -*-
"""alertmanager_delivery's verdict: which step broke, from what Alertmanager
and the receiver report."""

import pytest

from ansible_collections.coinpilot.monitoring.plugins.modules.alertmanager_delivery import StepFailed, delivery_verdict

ID = 'abc123def456'


def rec(status, text='... coinpilot_test_id = abc123def456 ...'):
    return {'status': status, 'text': text, 'body': {}}


@pytest.mark.parametrize('sent, failed, requests_failed, records, capture, verdict', [
    # With the recorder, its record is the proof.
    (0, {}, 0, [rec(204)], True, 'ok'),
    (1, {}, 0, [], True, None),
    (0, {}, 0, [rec(204, 'another alert')], True, None),
    # A retry that got through after a failed attempt still delivered.
    (1, {}, 1, [rec(500), rec(204)], True, 'ok'),
    # Without it, Alertmanager's count is.
    (1, {}, 0, [], False, 'ok'),
    (0, {}, 0, [], False, None),
    # A failed attempt and no success yet: undecided, Alertmanager retries.
    (0, {}, 2, [], False, None),
    (1, {}, 1, [], False, None),
])
def test_undecided_or_delivered(sent, failed, requests_failed, records, capture, verdict):
    assert delivery_verdict(sent, failed, requests_failed, records, ID, capture)[0] == verdict


@pytest.mark.parametrize('failed, records, step, words', [
    ({}, [rec(500)], 'receiver', 'the receiver answered HTTP 500 to the notification'),
    ({}, [rec(403)], 'receiver', 'the receiver answered HTTP 403 to the notification'),
    ({'serverError': 1.0}, [], 'receiver', 'the receiver answered an error: alertmanager_notifications_failed_total rose (reason serverError +1)'),
    ({'clientError': 2.0}, [], 'receiver', 'reason clientError +2'),
    ({'other': 1.0}, [], 'notify', 'the notification failed: alertmanager_notifications_failed_total rose (reason other +1)'),
    ({'contextDeadlineExceeded': 1.0}, [], 'notify', 'reason contextDeadlineExceeded +1'),
])
def test_failures_name_their_step(failed, records, step, words):
    with pytest.raises(StepFailed) as info:
        delivery_verdict(0, failed, 1, records, ID, bool(records))
    assert info.value.step == step
    assert words in info.value.message
