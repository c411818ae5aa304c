"""JSON Schemas for the files amlmove writes and reads (plan.json, report.json, status.json, state.json)."""
