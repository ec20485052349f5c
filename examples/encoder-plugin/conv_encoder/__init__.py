"""A convolutional text encoder, registered as the multis2s encoder ``conv_text``.

multis2s finds this module through the ``conv_encoder`` entry point of the ``multis2s`` group
(see ``pyproject.toml``) and calls its hooks once, when it builds its registry. The encoder's
module is imported inside the hook, not here, so listing plugins stays cheap.
"""

from multis2s import hookimpl


@hookimpl
def register_encoders(register):
    from conv_encoder.encoder import ConvTextEncoder

    register("conv_text", ConvTextEncoder, modality="text", help="1-D convolutions over token embeddings")
