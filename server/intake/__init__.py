"""The intake queue: reports that are not yet hazards. Here, work orders from an external hotline platform."""
