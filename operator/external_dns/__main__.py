"""``python -m external_dns``: the same command line as the ``external-dns`` console script."""

from external_dns.cli import main

raise SystemExit(main())
