"""Approval chains, delegation, pinned versions, decisions and appeals (issue 5, sections 6-8).

A separate app holding the approval domain behind four calls the case lifecycle (applications) makes; it refers
to a case only by its opaque `case_ref` and never imports `applications`. The interface, its signatures and
how the lifecycle should call it are in docs/adr/0014-approval-chains.md.
"""
