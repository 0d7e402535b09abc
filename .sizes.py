import ast, pathlib, sys
mods=[];classes=[];funcs=[]
for pkg in ["bot","handlers","agents","storage"]:
    for p in pathlib.Path(pkg).rglob("*.py"):
        if "migrations" in p.parts or "versions" in p.parts: continue
        src=p.read_text(); n=len(src.splitlines())
        mods.append((n,str(p)))
        t=ast.parse(src)
        for node in ast.walk(t):
            if isinstance(node,ast.ClassDef):
                classes.append((node.end_lineno-node.lineno+1,f"{p}:{node.name}"))
            elif isinstance(node,(ast.FunctionDef,ast.AsyncFunctionDef)):
                funcs.append((node.end_lineno-node.lineno+1,f"{p}:{node.name}"))
for name,l,lim in [("modules",mods,400),("classes",classes,300),("functions",funcs,79)]:
    l.sort(reverse=True); over=[x for x in l if x[0]>lim]
    print(name, "max", l[0], "over", lim, ":", len(over))
    for x in over[:15]: print("   ",x)
