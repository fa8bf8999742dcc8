"""Component families for mixtures and HMM emissions."""

from latentem.distributions.base import Distribution

__all__ = ["Distribution"]
