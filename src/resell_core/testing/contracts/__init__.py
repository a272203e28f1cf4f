"""Contract test suites for the ports, shipped so that every adapter runs the same tests.

Each suite is a plain pytest class (its name does not start with ``Test``, so it is not
collected by itself). To check an adapter, subclass the suite in a test module and supply
its fixture:

- :class:`StorageContract` needs ``storage``: a fresh, empty :class:`~resell_core.ports.Storage`;
- :class:`PaymentGatewayContract` needs ``payment_gateway`` (and ``approved_card``, a card
  token the gateway accepts, ``"tok_ok"`` unless overridden);
- :class:`PayoutGatewayContract` needs ``payout_gateway`` (and ``payable_email``);
- :class:`FeedConsumerContract` needs ``storage`` too: the event feed through the portal,
  a consumer stopping between reading and acknowledging (its storage half,
  :class:`EventFeedContract`, is part of :class:`StorageContract`);
- :class:`ClockContract`, :class:`IdsContract`, :class:`SecretsContract`,
  :class:`NotifierContract` and :class:`ProvisionerContract` need ``clock``, ``ids``,
  ``secrets``, ``notifier`` and ``provisioner``.

The builders in :mod:`resell_core.testing.contracts.samples` make the rows the suites store.
"""

from resell_core.testing.contracts.feed import EventFeedContract, FeedConsumerContract
from resell_core.testing.contracts.gateways import PaymentGatewayContract, PayoutGatewayContract
from resell_core.testing.contracts.services import (
    ClockContract,
    IdsContract,
    NotifierContract,
    ProvisionerContract,
    SecretsContract,
)
from resell_core.testing.contracts.storage import StorageContract

__all__ = [
    "ClockContract",
    "EventFeedContract",
    "FeedConsumerContract",
    "IdsContract",
    "NotifierContract",
    "PaymentGatewayContract",
    "PayoutGatewayContract",
    "ProvisionerContract",
    "SecretsContract",
    "StorageContract",
]
