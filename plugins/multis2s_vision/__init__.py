"""Vision modality plugin: synthetic captioned scenes and caption metrics."""
