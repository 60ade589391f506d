"""The phone's application layer is one class made of mixins (sessions, rounds, hazards, intake, joint
inspections): two of them defining the same method would make one silently win over the other."""

from __future__ import annotations

from mobile.services.phone import Phone


def test_no_two_layers_of_the_phone_define_the_same_method():
    layers = [c for c in Phone.__mro__[1:] if c.__module__.startswith("mobile.services.phone")]
    assert len(layers) >= 5
    seen: dict[str, str] = {}
    clashes = []
    for layer in layers:
        for name, value in vars(layer).items():
            if callable(value) and not name.startswith("__"):
                if name in seen:
                    clashes.append(f"{name}: {seen[name]} and {layer.__name__}")
                seen[name] = layer.__name__
    assert clashes == []
