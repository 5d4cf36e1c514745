"""Use cases: load records, call the checklist core, write, audit. Views call these."""
