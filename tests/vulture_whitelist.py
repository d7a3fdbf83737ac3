"""Names vulture (tests/test_dead_code.py) cannot see used, and who uses them.

Each is used by something outside Python's call graph: click and FastAPI register decorated
functions, pydantic reads fields and enum members by name, Jinja templates read view fields,
experta and Python call hooks by name.
"""
# ruff: noqa
# fmt: off

# entry points: click commands and FastAPI handlers are registered by their decorators
kb_lint; kb_test; evaluate; interactive; kb_show; kb_learn; serve
_invalid; _bad; _internal; alertmanager; healthz
# click callbacks take (ctx, param, value) whether they use them or not
param
# module __getattr__ / __dir__: lazy public names (PEP 562)
__getattr__; __dir__

# pydantic: enum members are read from YAML by value, fields by name
TECHNICAL; MAINTENANCE; EXTERNAL; HUMAN  # kb.models.CauseKind
CN; TW; IT; EU; PL; SA  # kb.models.Jurisdiction
STABLE; EXPERIMENTAL  # kb.models.RuleStatus
NEGATION; HYPOTHETICAL; HISTORY  # result.ContextScope
USAGE  # cli._common.Exit: click's own exit code for usage errors, documented in the table
negation; hypothetical; equals; gt; gte; lt; lte; url
model_config  # every pydantic model's configuration
# the Alertmanager webhook (version 4): fields of the payload, accepted and not used
endsAt; generatorURL; receiver; groupKey; groupLabels; commonLabels; commonAnnotations
externalURL

# report and summary views: read by the Jinja templates (diagnoser/report/templates/)
kind_name; severity_name; percent; fault_time_note; priority_level; response_time
scope_name; affected_users_text; until
# the template sandbox: jinja2's SandboxedEnvironment reads it; a trace hook's signature
intercepted_binops; arg

# experta and sqlite3 call or read these by name
_._diagnoser_network; _.__signature__; _._activate; _._update_agenda; _.row_factory
# experta's Fact reads it (its name-mangled private defaults); SymptomFact.of sets it
_._Fact__defaults
