# -*- coding: utf-8 -*-
# Copyright (c) CoinPilot platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later


class ModuleDocFragment:

    # Every module of this collection only reads, so they share one answer
    # to "what does check mode do".
    DOCUMENTATION = r'''
attributes:
  check_mode:
    support: full
    description: The module only reads, so check mode runs the same checks.
  diff_mode:
    support: none
    description: Nothing changes, so there is no diff.
notes:
  - The module is read-only. It never reports a change, and it does the same work in check mode.
'''
