"""The application service: the partner portal's use cases over the ports and the domain.

:class:`~resell_core.service.portal.PartnerPortal` is the entry point;
:mod:`~resell_core.service.context` holds the wiring and the one helper that runs a
command atomically, audited and idempotent.
"""
