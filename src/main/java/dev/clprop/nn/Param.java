package dev.clprop.nn;

import dev.clprop.device.Tensor;
import dev.clprop.model.ParamShape;

/** A parameter on a device: its value and the gradient the last backward pass left for it. */
public record Param(ParamShape shape, Tensor value, Tensor gradient) {
    /** The parameter's name, e.g. "W1". */
    public String name() {
        return shape.name();
    }
}
