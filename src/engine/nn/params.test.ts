import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { cloneTree, constantVariable, disposeTree, namedVariables } from './params';

interface Net {
  blocks: { weight: tf.Variable; bias: tf.Variable | null }[];
  norm: { gamma: tf.Variable };
  groups: number; // configuration: skipped by the names, copied by the clone
}

const net = (): Net => ({
  blocks: [{ weight: constantVariable([2], 1), bias: null }, { weight: constantVariable([2], 2), bias: constantVariable([2], 3) }],
  norm: { gamma: constantVariable([1], 4) },
  groups: 4,
});

describe('parameter trees', () => {
  it('names variables by their path and skips nulls and configuration', () => {
    const tree = net();
    expect([...namedVariables(tree).keys()]).toEqual(['blocks.0.weight', 'blocks.1.weight', 'blocks.1.bias', 'norm.gamma']);
    expect([...namedVariables(tree, 'student').keys()][0]).toBe('student.blocks.0.weight');
    disposeTree(tree);
  });

  it('clones into new variables with the same values, keeping configuration', () => {
    const tree = net();
    const before = tf.memory().numTensors;
    const copy = cloneTree(tree, false);
    expect(tf.memory().numTensors).toBe(before + 4);
    expect(copy.groups).toBe(4);
    expect(copy.blocks[0].bias).toBeNull();
    expect(copy.blocks[1].weight).not.toBe(tree.blocks[1].weight);
    expect(copy.blocks[1].weight.trainable).toBe(false);
    expect(Array.from(copy.blocks[1].bias!.dataSync())).toEqual([3, 3]);
    disposeTree(copy);
    disposeTree(tree);
    expect(tree.norm.gamma.isDisposed).toBe(true);
  });

  it('refuses, at compile time, a tree with a plain tensor or a function among its leaves', () => {
    const tensor = tf.zeros([1]);
    // @ts-expect-error a tf.Tensor that is not a Variable is not a parameter
    expect(namedVariables({ weight: tensor }).size).toBe(0);
    // @ts-expect-error nor is a function
    expect(namedVariables({ forward: () => 1 }).size).toBe(0);
    tensor.dispose();
  });
});
