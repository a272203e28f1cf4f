"""Commission use cases of the portal: referred accounts' statements and PayPal payouts
(K1-K4)."""
