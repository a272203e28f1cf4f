"""Billing: profiles, what is due, invoices, payment decisions, credits and commissions.

Pure domain: these functions decide; the ports (storage, payment gateway, payout gateway,
notifier) carry the decisions out, and the portal service wires them.
"""
