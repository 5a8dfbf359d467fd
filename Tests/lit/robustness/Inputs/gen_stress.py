#!/usr/bin/env python3
"""Writes stress-test modules to stdout, for the robustness tests and for measuring
compile time against input size (Benchmarks/RESULTS.md, "Compile time against input size").

  gen_stress.py chain N        a call chain N deep: @f0 calls @f1 ... calls @fN
  gen_stress.py bomb L         an inline bomb: each of L levels calls the next twice
  gen_stress.py grad-chain N   N elementwise ops in one loss, under value_and_grad
  gen_stress.py constant N     an f32 constant of N listed values, summed
"""
import sys


def chain(n):
    out = ["module @call_chain"]
    out.append("func @main(%x: f32[4]) -> f32[4] {\n  %y = call @f0(%x) : f32[4]\n  return %y\n}")
    for i in range(n):
        body = f"  %y = call @f{i + 1}(%x) : f32[4]" if i + 1 < n else "  %y = add %x, 1"
        out.append(f"func @f{i}(%x: f32[4]) -> f32[4] {{\n{body}\n  return %y\n}}")
    return "\n".join(out)


def bomb(levels):
    out = ["module @inline_bomb"]
    for i in range(levels):
        if i + 1 < levels:
            body = (f"  %a = call @f{i + 1}(%x) : f32[4]\n  %b = call @f{i + 1}(%a) : f32[4]\n"
                    "  %s = add %a, %b\n  %y = mul %s, 0.5")
        else:
            body = "  %y = mul %x, 0.5"
        out.append(f"func @f{i}(%x: f32[4]) -> f32[4] {{\n{body}\n  return %y\n}}")
    return "\n".join(out)


def grad_chain(n):
    ops = ["%v{k} = mul %v{j}, 0.999", "%v{k} = add %v{j}, 0.001", "%v{k} = tanh %v{j}",
           "%v{k} = mul %v{j}, %x"]
    lines = ["module @grad_chain", "func @loss(%x: f32[64]) -> f32[] {", "  %v0 = add %x, 0"]
    for k in range(1, n + 1):
        lines.append("  " + ops[k % len(ops)].format(k=k, j=k - 1))
    lines += [f"  %s = reduce_sum %v{n} {{axes = [0]}}", "  return %s", "}"]
    lines += ["func @main(%x: f32[64]) -> (f32[], f32[64]) {",
              "  %l, %g = value_and_grad @loss(%x) {wrt = [0]}", "  return %l, %g", "}"]
    return "\n".join(lines)


def constant(n):
    values = ", ".join(str((k % 17) * 0.25) for k in range(n))
    return "\n".join(["module @big_constant", f"func @main() -> f32[] {{",
                      f"  %c = constant {{value = [{values}]}} : f32[{n}]",
                      "  %s = reduce_sum %c {axes = [0]}", "  return %s", "}"])


if __name__ == "__main__":
    kind, n = sys.argv[1], int(sys.argv[2])
    make = {"chain": chain, "bomb": bomb, "grad-chain": grad_chain, "constant": constant}[kind]
    sys.stdout.write(make(n) + "\n")
