#!/usr/bin/env python3
"""Snapshot experiment (issue 19): boot a VM with the product's QEMU command line (TCG), wait until it is ready and
primed, save it with QEMU migration to a file, then restore it several times. Prints boot, save and restore times,
the snapshot's size and the restored qemu's RSS. Not part of the product: see BENCHMARKS.md, "snapshot".

Usage: experiment.py KERNEL INITRD ROOTFS [RESTORES]"""
import json, os, socket, subprocess, sys, tempfile, time

kernel, initrd, rootfs = sys.argv[1:4]
restores = int(sys.argv[4]) if len(sys.argv) > 4 else 3
work = tempfile.mkdtemp(prefix="nanoclaw-snap-")
snap = os.path.join(work, "vm.snap")


def args(tag, incoming=None):
    d = os.path.join(work, tag)
    os.makedirs(d)
    a = ["qemu-system-x86_64", "-M", "microvm,x-option-roms=off,isa-serial=on,rtc=on", "-accel", "tcg,thread=multi",
         "-cpu", "max", "-m", "2048", "-smp", "2", "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
         "-sandbox", "on,obsolete=deny,resourcecontrol=deny", "-serial", "file:" + os.path.join(d, "console.log"),
         "-kernel", kernel, "-initrd", initrd, "-append", "console=ttyS0 reboot=t panic=-1 quiet tsc_early_khz=" + os.environ.get("TSC_KHZ", "2000000"),
         "-drive", f"id=root,file={rootfs},format=raw,if=none,readonly=on", "-device", "virtio-blk-device,drive=root",
         "-netdev", "user,id=net0,restrict=on,ipv6=off", "-device", "virtio-net-device,netdev=net0",
         "-device", "virtio-serial-device",
         "-chardev", f"socket,id=control,path={d}/control.sock,server=on,wait=off",
         "-device", "virtserialport,chardev=control,name=nanoclaw.control",
         # The host's monitor: a Unix socket in the run folder; the guest has no device that reaches it.
         "-qmp", f"unix:{d}/qmp.sock,server=on,wait=off"]
    if incoming:
        a += ["-incoming", incoming]
    return d, a


def connect(path, bound=60):
    end = time.monotonic() + bound
    while True:
        try:
            s = socket.socket(socket.AF_UNIX)
            s.connect(path)
            return s
        except OSError:
            if time.monotonic() > end:
                raise
            time.sleep(0.01)


class Qmp:
    def __init__(self, path):
        self.s = connect(path)
        self.f = self.s.makefile("rw")
        json.loads(self.f.readline())
        self.cmd("qmp_capabilities")

    def cmd(self, name, **arguments):
        self.f.write(json.dumps({"execute": name, "arguments": arguments}) + "\n")
        self.f.flush()
        while True:
            reply = json.loads(self.f.readline())
            if "return" in reply or "error" in reply:
                return reply


def rss_mib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024


def read_line(sock, bound):
    sock.settimeout(bound)
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(4096)
        if not chunk:
            raise EOFError("control channel closed")
        data += chunk
    return data


# 1. Source: cold boot to ready, then let priming finish.
d, a = args("source")
t0 = time.monotonic()
src = subprocess.Popen(a)
control = connect(f"{d}/control.sock")
ready = read_line(control, 300)
boot = time.monotonic() - t0
print(f"cold boot to ready: {boot * 1000:.0f} ms ({ready.strip().decode()})", flush=True)
# Priming runs in the background after ready; its end is a console line.
t1 = time.monotonic()
while "nanoclaw-init: priming done" not in open(os.path.join(d, "console.log"), errors="replace").read():
    if time.monotonic() - t1 > 600:
        raise TimeoutError("no 'priming done' on the console within 10 min")
    time.sleep(0.2)
print(f"primed {time.monotonic() - t1:.1f} s after ready", flush=True)
print(f"source qemu RSS when primed: {rss_mib(src.pid):.0f} MiB", flush=True)
qmp = Qmp(f"{d}/qmp.sock")
t0 = time.monotonic()
print(qmp.cmd("migrate", uri=f"exec:cat > {snap}"), flush=True)
while True:
    status = qmp.cmd("query-migrate")["return"].get("status")
    if status in ("completed", "failed", "cancelled"):
        break
    time.sleep(0.05)
save = time.monotonic() - t0
print(f"save: {status} in {save * 1000:.0f} ms, snapshot {os.path.getsize(snap) / 2**20:.0f} MiB", flush=True)
qmp.cmd("quit")
src.wait()

# 2. Restores: qemu start -> running, and does the guest agent still answer on the control channel?
for n in range(restores):
    d, a = args(f"restore{n}", incoming=f"exec:cat {snap}")
    t0 = time.monotonic()
    vm = subprocess.Popen(a)
    q = Qmp(f"{d}/qmp.sock")
    while q.cmd("query-status")["return"]["status"] != "running":
        time.sleep(0.005)
    took = time.monotonic() - t0
    control = connect(f"{d}/control.sock")
    # The agent already sent ready to the source's host; a job frame it cannot parse makes it answer with done.
    control.sendall(b'{"type":"job"}\n')
    try:
        answer = read_line(control, 60).strip().decode()[:200]
    except Exception as e:
        answer = f"no answer: {e}"
    print(f"restore {n + 1}: running after {took * 1000:.0f} ms, qemu RSS {rss_mib(vm.pid):.0f} MiB; agent answered: {answer}", flush=True)
    vm.kill()
    vm.wait()
subprocess.run(["rm", "-rf", work])
