package dev.clprop.cli;

import dev.clprop.data.DataSources;
import dev.clprop.data.Dataset;
import dev.clprop.data.Standardizer;
import dev.clprop.model.ModelFile;

/** Data prepared for an existing model: split as the model's outputs need, standardized as it was trained. */
final class ModelData {
    private ModelData() {
    }

    /** The source's test set where it has one (MNIST, digits), else its rows. */
    static Dataset forModel(ModelFile.Loaded model, String data, Integer targets, boolean preferTest) {
        DataSources.Loaded src = DataSources.load(data, null);
        var table = preferTest && src.test() != null ? src.test() : src.train();
        Dataset d = TrainCommand.toDataset(table, targets, model.parameters().spec());
        Standardizer st = Standardizer.from(model.entries());
        if (st != null) st.apply(d);
        return d;
    }
}
