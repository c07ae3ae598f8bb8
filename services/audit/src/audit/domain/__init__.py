"""The audit domain: loop steps, the per-case hash chain, anchors, loop completeness, assessment figures."""
