"""Per-object limits: no single object can make the operator do unbounded work.

Each limit is generous for real use and far below what would stall the event loop; an object over one gets a
Warning naming the limit and the field, never a silent cut.

Over a limit an object keeps its *first* N names (or targets) and the Warning says how many were left out.
Publishing nothing instead was considered and rejected: an edit from 500 to 501 names would then delete 500
working records, and after a restart there is no earlier state to fall back on, so "nothing" could not mean
"what you had". Keeping the first N is the same on every run, never removes a record because a list grew, and
the Warning tells the user exactly what is missing.

Why these values:

* 500 names per object: a TLS certificate carries at most 100 names (Let's Encrypt), so an Ingress or Gateway
  route rarely lists more; 500 names are 1,000 changes with their ownership TXT records, which is one
  Route 53 change batch (its limit is 1,000), and they derive and plan in a few milliseconds here.
* 500 targets per record: a headless Service publishes one address per ready pod, and some have hundreds;
  past a few hundred, round-robin DNS no longer helps (resolvers cut the answer, clients use the first few)
  and every answer needs TCP.
* 500 endpoints per DNSEndpoint: the same as names per object, for the CRD's explicit list.
"""

from __future__ import annotations

MAX_NAMES_PER_OBJECT = 500
MAX_TARGETS_PER_RECORD = 500
MAX_ENDPOINTS_PER_OBJECT = 500
