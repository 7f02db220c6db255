# -*- coding: utf-8 -*-
"""The argument_problems filter on the shapes Ansible hands it: any mapping
and any sequence, not only dict and list. Its sentences are asserted end to
end by the bad-input table of the default molecule scenario."""

from collections import OrderedDict
from collections.abc import Mapping

from ansible_collections.coinpilot.monitoring.plugins.filter.argument_problems import argument_problems

SPEC = {
    'x_port': {'type': 'int'},
    'x_args': {'type': 'list', 'elements': 'str'},
    'x_jobs': {'type': 'list', 'elements': 'dict', 'options': {'name': {'type': 'str', 'required': True}}},
    'x_mode': {'type': 'str', 'choices': ['a', 'b']},
}


class ReadOnly(Mapping):
    """A mapping that is no dict, as Ansible's lazy containers are not."""

    def __init__(self, data):
        self._data = data

    def __getitem__(self, key):
        return self._data[key]

    def __iter__(self):
        return iter(self._data)

    def __len__(self):
        return len(self._data)

    def __deepcopy__(self, memo):
        raise AssertionError('the filter must not deep-copy what it was given')


def test_good_values_in_any_mapping_and_sequence_pass():
    values = {'x_port': 9090, 'x_args': ('--a', '--b'), 'x_jobs': (ReadOnly({'name': 'app'}),), 'x_mode': 'a'}
    assert argument_problems(values, OrderedDict(SPEC)) == []


def test_values_inside_other_mappings_are_still_checked():
    values = {'x_port': 'ninety', 'x_jobs': [ReadOnly({'other': 1})], 'x_mode': 'c', 'x_args': '--a'}
    problems = argument_problems(values, SPEC)
    assert [p.split(' ')[0] for p in problems] == ['x_port', 'x_args', 'x_jobs', 'x_mode']
    assert problems[0] == 'x_port is "ninety"; set it to a whole number.'
    assert problems[1] == 'x_args is "--a", which is text; set it to a list of text.'
    assert problems[3] == 'x_mode is "c"; set it to one of a, b.'


def test_unset_values_are_not_checked():
    assert argument_problems({'x_port': '__unset__'}, SPEC) == []


IMAGE_SPEC = {'x_port': {'type': 'int'}, 'x_image': {'type': 'str'}, 'x_other': {'type': 'str'}}


def test_image_references_follow_docker_grammar():
    digest = 'prom/prometheus:v3.5.3@sha256:' + '0' * 64
    for good in ('prom/prometheus:v3.5.3', 'localhost:5000/team/app_x:1.0', digest, 'busybox'):
        assert argument_problems({'x_image': good}, IMAGE_SPEC) == [], good
    for bad in ('prom/node-exporter v1.11.1', 'ghcr.io/google/cadvisor: v0.60.5', 'Prom/Prometheus:v3', 'x@sha256:abc'):
        assert argument_problems({'x_image': bad}, IMAGE_SPEC) == [
            'x_image is "%s", which is not an image reference; write it like prom/prometheus:v3.5.3 '
            '(lower-case name, a tag or @sha256: digest, no spaces).' % bad], bad


def test_type_problems_come_before_image_problems_and_other_names_are_not_images():
    problems = argument_problems({'x_image': 'a b', 'x_port': 'ninety', 'x_other': 'a b'}, IMAGE_SPEC)
    assert [p.split(' ')[0] for p in problems] == ['x_port', 'x_image']
    assert argument_problems({'x_image': '__unset__'}, IMAGE_SPEC) == []
