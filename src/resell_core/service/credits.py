"""Credit use cases of the portal: buying prepaid, SMS and inbox-preview credits, assigning
them to accounts, balances and histories (C1-C6)."""
