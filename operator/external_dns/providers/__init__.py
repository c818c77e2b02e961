"""DNS providers: one class per service, each behind the :class:`~external_dns.providers.base.Provider` protocol."""
