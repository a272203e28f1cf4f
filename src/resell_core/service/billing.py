"""Billing use cases of the portal: the billing run, invoices, payment, dunning, reconciliation.

Reserved for the billing side of the service (``run_billing``, ``invoices`` and the
payment of invoices opened elsewhere, such as an upgrade's proration invoice).
"""
