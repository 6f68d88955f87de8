"""The routing policy: candidates -> hard filters -> scores -> an ordered Route.

    from routed_llm.policy import Policy, load_policy
    policy = Policy(catalog, load_policy("policy.toml"))   # or Policy(catalog, None) for the default
    route = policy.route("code", request, required={"tools"}, pinned_provider="openai",
                         available_providers={"openai"}, dial=0.5)
    route.chain, route.cascade, route.shadow, route.explanation

Nothing is loaded at import time; the default policy file is read when a Policy is built.
"""

from routed_llm.policy.complexity import Complexity
from routed_llm.policy.config import (
    CarbonConfig,
    CascadeConfig,
    ComplexityConfig,
    LabelPolicy,
    PolicyConfig,
    ShadowConfig,
    Weights,
    check_dial,
    load_policy,
    parse_policy,
)
from routed_llm.policy.engine import Policy
from routed_llm.policy.filters import capabilities_for
from routed_llm.policy.route import Cascade, Mode, Route
from routed_llm.policy.verifiers import (
    AllOf,
    JudgeVerifier,
    MinLength,
    NonEmpty,
    NoRefusal,
    ValidJson,
    Verifier,
    VerifyResult,
    build_verifier,
    rule_verifier,
)

__all__ = [
    "AllOf",
    "CarbonConfig",
    "Cascade",
    "CascadeConfig",
    "Complexity",
    "ComplexityConfig",
    "JudgeVerifier",
    "LabelPolicy",
    "MinLength",
    "Mode",
    "NoRefusal",
    "NonEmpty",
    "Policy",
    "PolicyConfig",
    "Route",
    "ShadowConfig",
    "ValidJson",
    "Verifier",
    "VerifyResult",
    "Weights",
    "build_verifier",
    "capabilities_for",
    "check_dial",
    "load_policy",
    "parse_policy",
    "rule_verifier",
]
