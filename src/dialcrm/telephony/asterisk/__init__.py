"""The Asterisk adapter of the telephony gateway (ARI). No Django here: configured by `AriConfig`.

gateway = AsteriskGateway(AriConfig.from_env())
await gateway.start()
"""

from dialcrm.telephony.asterisk.adapter import AsteriskGateway
from dialcrm.telephony.asterisk.client import AriError
from dialcrm.telephony.asterisk.config import AriConfig

__all__ = ["AriConfig", "AriError", "AsteriskGateway"]
