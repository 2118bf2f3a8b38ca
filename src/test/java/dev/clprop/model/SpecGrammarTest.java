package dev.clprop.model;

import dev.clprop.error.InvalidSettingException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The architecture string as each layer kind reads its element, and each refusal's words. */
class SpecGrammarTest {
    @Test
    void eachKindReadsItsOwnElement() {
        Architecture a = Architecture.parse(" 6, 9:tanh , dropout:0.25, layernorm, 5:relu:nobias, batchnorm, 3:softmax");
        assertEquals(List.of(new DenseSpec(9, Activation.TANH, true), new DropoutSpec(0.25f), new LayerNormSpec(), new DenseSpec(5, Activation.RELU, false),
                new BatchNormSpec(), new DenseSpec(3, Activation.SOFTMAX, true)), a.layers());
        assertEquals("6,9:tanh,dropout:0.25,layernorm,5:relu:nobias,batchnorm,3:softmax", a.spelling());
        assertEquals(a, Architecture.parse(a.spelling()), "the spelling reads back");
        // spaces around fields are no part of them
        assertEquals(a, Architecture.parse("6,9 : tanh,dropout : 0.25,layernorm,5: relu : nobias,batchnorm,3:softmax"));
    }

    @Test
    void eachKindRefusesItsMalformedElementByName() {
        String[][] cases = {
                {"6,dropout", "layer 1 'dropout' is not dropout:P"},
                {"6,dropout:x,3:linear", "layer 1 'dropout:x': the dropout probability is not a number"},
                {"6,dropout:1,3:linear", "layer 1 'dropout:1': the dropout probability must be in [0, 1)"},
                {"6,layernorm:2,3:linear", "layer 1 'layernorm:2': layernorm takes no fields"},
                {"6,batchnorm:0.1,3:linear", "layer 1 'batchnorm:0.1': batchnorm takes no fields"},
                {"6,9", "layer 1 '9' is not units:activation[:nobias]"},
                {"6,9:tanh:bias:x", "layer 1 '9:tanh:bias:x' is not units:activation[:nobias]"},
                {"6,9:tanh:bias", "layer 1 '9:tanh:bias': the third field may only be 'nobias'"},
                {"6,0:tanh", "layer 1 units '0' is not a positive integer"},
                {"6,x:tanh", "layer 1 units 'x' is not a positive integer"},
                {"6,2000000:tanh", "layer 1 units 2000000 is larger than the limit of 1048576"},
        };
        for (String[] c : cases) {
            InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> Architecture.parse(c[0]), c[0]);
            assertEquals("architecture '" + c[0] + "' is malformed: " + c[1], e.getMessage(), c[0]);
        }
    }
}
