"""personalize: one message, rendered for one customer, on every channel.

>>> import personalize
>>> lib = personalize.Library("templates")           # doctest: +SKIP
>>> r = lib.render("birthday", customer, channel="sms")  # doctest: +SKIP
"""

from __future__ import annotations

from .claims import ClaimCheck as ClaimCheck
from .context import Fact as Fact
from .context import Missing as Missing
from .customer import Customer as Customer
from .errors import CustomerDataError as CustomerDataError
from .errors import InvalidArgument as InvalidArgument
from .errors import MessageNotFound as MessageNotFound
from .errors import PersonalizeError as PersonalizeError
from .errors import Refused as Refused
from .errors import SecurityError as SecurityError
from .errors import TemplateError as TemplateError
from .guards import Suppression as Suppression
from .guards import check_text as check_text
from .library import Library as Library
from .message import MessageSpec as MessageSpec
from .offers import ChosenOffer as ChosenOffer
from .offers import Offer as Offer
from .offers import OfferTraceEntry as OfferTraceEntry
from .policy import Policy as Policy
from .result import EmailResult as EmailResult
from .result import RenderResult as RenderResult
from .result import SmsResult as SmsResult
from .result import VoiceResult as VoiceResult
from .salutations import Salutation as Salutation
from .salutations import salutation as salutation
from .violation import Violation as Violation

__version__ = "0.1.0"

__all__ = [
    "ChosenOffer",
    "ClaimCheck",
    "Customer",
    "CustomerDataError",
    "EmailResult",
    "Fact",
    "InvalidArgument",
    "Library",
    "MessageNotFound",
    "MessageSpec",
    "Missing",
    "Offer",
    "OfferTraceEntry",
    "PersonalizeError",
    "Policy",
    "Refused",
    "RenderResult",
    "Salutation",
    "SecurityError",
    "SmsResult",
    "Suppression",
    "TemplateError",
    "Violation",
    "VoiceResult",
    "__version__",
    "check_text",
    "salutation",
]
