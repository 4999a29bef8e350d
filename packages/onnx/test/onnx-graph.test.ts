import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { buildIrisModel, buildSklearnIrisModel, trainIris } from '../../../test/fixtures/generate/iris.ts';
import { classifierLabels, externalDataFiles, mayUseExternalData } from '../src/onnx-graph.ts';

const { onnx } = onnxProto;

/** A model whose two initializers keep their data in side files, as Optimum writes models over 2 GB. */
function modelWithExternalData(locations: string[]): Uint8Array {
  const initializer = locations.map((location, i) =>
    onnx.TensorProto.create({
      name: `w${i}`,
      dataType: onnx.TensorProto.DataType.FLOAT,
      dims: [4],
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: 'location', value: location },
        { key: 'offset', value: '0' },
        { key: 'length', value: '16' },
      ],
    }),
  );
  const model = onnx.ModelProto.create({ irVersion: 8, graph: { name: 'g', initializer } });
  return onnx.ModelProto.encode(model).finish();
}

describe('reading an ONNX graph', () => {
  it('finds the classlabels_strings of an ai.onnx.ml LinearClassifier', () => {
    const bytes = buildSklearnIrisModel(trainIris(), { classLabels: ['a', 'b', 'c'], zipmap: true });
    expect(classifierLabels(bytes)).toEqual(['a', 'b', 'c']);
  });

  it('finds negative integer labels (classlabels_ints) as text', () => {
    const bytes = buildSklearnIrisModel(trainIris(), { classLabels: [-1, 0, 1], zipmap: false });
    expect(classifierLabels(bytes)).toEqual(['-1', '0', '1']);
  });

  it('finds no labels in a graph without a classifier node, nor in bytes that are not a model', () => {
    expect(classifierLabels(buildIrisModel(trainIris()))).toBeUndefined();
    expect(classifierLabels(new TextEncoder().encode('<!doctype html>'))).toBeUndefined();
  });

  it('lists the external data files of the initializers once each', () => {
    const bytes = modelWithExternalData(['model.onnx_data', 'model.onnx_data', 'extra.bin']);
    expect(externalDataFiles(bytes)).toEqual(['model.onnx_data', 'extra.bin']);
  });

  it('lists no external data for a model with its weights inside', () => {
    expect(externalDataFiles(buildIrisModel(trainIris()))).toEqual([]);
  });

  it('tells a model that may keep data in external files from one that keeps it inside', () => {
    expect(mayUseExternalData(modelWithExternalData(['model.onnx_data']))).toBe(true);
    expect(mayUseExternalData(buildIrisModel(trainIris()))).toBe(false);
    // In a subgraph too (a merged decoder's If branch), which externalDataFiles does not read.
    const tensor = onnx.TensorProto.create({
      name: 'w',
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [{ key: 'location', value: 'decoder_model_merged.onnx_data' }],
    });
    const branch = onnx.GraphProto.create({ name: 'then', initializer: [tensor] });
    const node = onnx.NodeProto.create({
      opType: 'If',
      attribute: [{ name: 'then_branch', type: onnx.AttributeProto.AttributeType.GRAPH, g: branch }],
    });
    const merged = onnx.ModelProto.encode(
      onnx.ModelProto.create({ irVersion: 8, graph: { name: 'g', node: [node] } }),
    ).finish();
    expect(externalDataFiles(merged)).toEqual([]);
    expect(mayUseExternalData(merged)).toBe(true);
  });
});
