package dev.clprop.model;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.function.Function;

/** Collects {@link LayerSpec#KINDS}: the kinds of this package, the registered ones, dense last. */
final class LayerKinds {
    private LayerKinds() {
    }

    static List<Function<SpecElement, LayerSpec>> readers() {
        List<Function<SpecElement, LayerSpec>> out = new ArrayList<>(List.of(DropoutSpec::parse, LayerNormSpec::parse, BatchNormSpec::parse));
        for (LayerSpec kind : registered()) out.add(kind::read);
        out.add(DenseSpec::parse);
        return List.copyOf(out);
    }

    /** An instance of every kind registered in {@code META-INF/services/dev.clprop.model.LayerSpec}, by class name. */
    static List<LayerSpec> registered() {
        List<LayerSpec> out = new ArrayList<>();
        for (LayerSpec s : ServiceLoader.load(LayerSpec.class, LayerSpec.class.getClassLoader())) out.add(s);
        out.sort(java.util.Comparator.comparing(s -> s.getClass().getName()));
        return out;
    }
}
