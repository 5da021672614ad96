package deploy_test

import (
	"fmt"
	"net"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// listenFlags name the flags that give a listen address and the container
// ports (by name) that must carry their port.
var listenFlags = map[string][]string{
	"public":   {"public"},
	"internal": {"internal"},
	"gossip":   {"gossip-tcp", "gossip-udp"},
	"listen":   {"http"},
}

// pixcdnContainer is a container running the pixcdn binary, with the
// settings it is given by flags and PIXCDN_* variables.
type pixcdnContainer struct {
	where     string
	pod       *corev1.PodSpec
	c         *corev1.Container
	table     *flagTable
	settings  map[string]string // flag name → value, from args or env
	portFlag  map[string]string // container port name → the listen flag it serves
	podLabels map[string]string
}

var varReference = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// parsePixcdnContainer reads c's subcommand, flags and PIXCDN_* variables
// and reports every one the binary lacks, every secret given as a value,
// and every setting given twice.
func parsePixcdnContainer(where string, pod *corev1.PodSpec, c *corev1.Container, tables map[string]*flagTable) (*pixcdnContainer, []error) {
	var errs []error
	fail := func(format string, a ...any) { errs = append(errs, fmt.Errorf(where+": "+format, a...)) }
	if len(c.Args) == 0 || tables[c.Args[0]] == nil {
		fail("args %q do not start with a pixcdn subcommand", c.Args)
		return nil, errs
	}
	pc := &pixcdnContainer{where: where, pod: pod, c: c, table: tables[c.Args[0]],
		settings: map[string]string{}, portFlag: map[string]string{}}
	set := func(name, value, source string) {
		if _, dup := pc.settings[name]; dup {
			fail("%s is given twice (the flag would silently win over the variable)", source)
		}
		pc.settings[name] = value
	}
	defined := map[string]bool{}
	for _, e := range c.Env {
		for _, ref := range varReference.FindAllStringSubmatch(e.Value, -1) {
			if !defined[ref[1]] {
				fail("env %s uses $(%s) before it is defined", e.Name, ref[1])
			}
		}
		defined[e.Name] = true
		if !strings.HasPrefix(e.Name, "PIXCDN_") {
			continue
		}
		name, ok := pc.table.flagForEnv(e.Name)
		if !ok || !pc.table.env[e.Name] {
			fail("env %s is not a setting of pixcdn %s", e.Name, pc.table.command)
			continue
		}
		set(name, e.Value, "env "+e.Name)
	}
	positional := false
	for _, arg := range c.Args[1:] {
		for _, ref := range varReference.FindAllStringSubmatch(arg, -1) {
			if !defined[ref[1]] {
				fail("arg %s uses $(%s), which the container's env does not define", arg, ref[1])
			}
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(arg, "--"), "=")
		switch {
		case !strings.HasPrefix(arg, "--"):
			if !pc.table.positionals[arg] {
				fail("argument %q is neither a --flag=value nor a positional of pixcdn %s", arg, pc.table.command)
			}
			positional = true
		case positional:
			fail("flag %s after a positional argument is not parsed as a flag", arg)
		case !pc.table.flags[name]:
			fail("flag --%s is not a flag of pixcdn %s", name, pc.table.command)
		case !hasValue && !isBoolFlag(name):
			fail("flag --%s needs the --%s=VALUE form", name, name)
		default:
			set(name, value, "flag --"+name)
		}
	}
	for name := range pc.table.secrets {
		if _, plain := pc.settings[name]; plain {
			fail("secret %s is given as a value: use --%s-file or %s_FILE with a mounted Secret", name, name, envFor(name))
		}
	}
	return pc, errs
}

// isBoolFlag lists the boolean flags of edge and origin, the only flags
// given without a value.
func isBoolFlag(name string) bool {
	return slices.Contains([]string{"require-signature", "presets-only", "pprof"}, name)
}

// checkSecretFiles reports every NAME-file setting whose path is not a
// file of a mounted Secret.
func (pc *pixcdnContainer) checkSecretFiles() []error {
	var errs []error
	for name := range pc.table.secrets {
		paths, ok := pc.settings[name+"-file"]
		if !ok {
			continue
		}
		for _, p := range strings.Split(paths, ",") {
			if !pc.isSecretFile(p) {
				errs = append(errs, fmt.Errorf("%s: --%s-file %s is not a file of a mounted Secret", pc.where, name, p))
			}
		}
	}
	return errs
}

func (pc *pixcdnContainer) isSecretFile(p string) bool {
	dir, file := path.Split(p)
	for _, m := range pc.c.VolumeMounts {
		if path.Clean(dir) != path.Clean(m.MountPath) {
			continue
		}
		for _, v := range pc.pod.Volumes {
			if v.Name == m.Name && slices.Contains(secretVolumeFiles(v), file) {
				return true
			}
		}
	}
	return false
}

// secretVolumeFiles lists the files a Secret or projected-Secret volume
// holds, by their item paths.
func secretVolumeFiles(v corev1.Volume) []string {
	var files []string
	add := func(items []corev1.KeyToPath) {
		for _, it := range items {
			files = append(files, it.Path)
		}
	}
	if v.Secret != nil {
		add(v.Secret.Items)
	}
	if v.Projected != nil {
		for _, src := range v.Projected.Sources {
			if src.Secret != nil {
				add(src.Secret.Items)
			}
		}
	}
	return files
}

// checkPorts matches each listen flag's port with the container port named
// for it, and each container port with a listen flag.
func (pc *pixcdnContainer) checkPorts() []error {
	var errs []error
	fail := func(format string, a ...any) { errs = append(errs, fmt.Errorf(pc.where+": "+format, a...)) }
	for flag, portNames := range listenFlags {
		if !pc.table.flags[flag] {
			continue
		}
		addr, ok := pc.settings[flag]
		if !ok {
			fail("--%s is not set: its default listens on loopback only", flag)
			continue
		}
		host, port, err := net.SplitHostPort(addr)
		if err != nil || host == "127.0.0.1" || host == "localhost" {
			fail("--%s=%s: want a reachable HOST:PORT", flag, addr)
			continue
		}
		for _, pn := range portNames {
			cp, found := containerPort(pc.c, pn)
			if !found || strconv.Itoa(int(cp.ContainerPort)) != port {
				fail("--%s=%s: container port %q is %d, want %s", flag, addr, pn, cp.ContainerPort, port)
			}
			pc.portFlag[pn] = flag
		}
	}
	for _, cp := range pc.c.Ports {
		if _, ok := pc.portFlag[cp.Name]; !ok {
			fail("container port %q (%d) is no listen flag's port", cp.Name, cp.ContainerPort)
		}
	}
	return errs
}

func containerPort(c *corev1.Container, name string) (corev1.ContainerPort, bool) {
	for _, cp := range c.Ports {
		if cp.Name == name {
			return cp, true
		}
	}
	return corev1.ContainerPort{}, false
}

// flagOfPort returns the listen flag behind a port given by name or number.
func (pc *pixcdnContainer) flagOfPort(port string) (string, bool) {
	for _, cp := range pc.c.Ports {
		if cp.Name == port || strconv.Itoa(int(cp.ContainerPort)) == port {
			flag, ok := pc.portFlag[cp.Name]
			return flag, ok
		}
	}
	return "", false
}

// checkProbes requires every HTTP probe and the Prometheus annotation to
// name a path that the listener behind their port serves.
func (pc *pixcdnContainer) checkProbes(annotations map[string]string) []error {
	var errs []error
	probes := map[string]*corev1.Probe{"readiness": pc.c.ReadinessProbe, "liveness": pc.c.LivenessProbe, "startup": pc.c.StartupProbe}
	for kind, p := range probes {
		if p == nil || p.HTTPGet == nil {
			continue
		}
		flag, ok := pc.flagOfPort(p.HTTPGet.Port.String())
		if !ok || !serves(pc.table.command, flag, p.HTTPGet.Path) {
			errs = append(errs, fmt.Errorf("%s: %s probe %s on port %s: pixcdn %s serves no such path there",
				pc.where, kind, p.HTTPGet.Path, p.HTTPGet.Port.String(), pc.table.command))
		}
	}
	if pc.c.ReadinessProbe == nil || pc.c.LivenessProbe == nil {
		errs = append(errs, fmt.Errorf("%s: a server needs readiness and liveness probes", pc.where))
	}
	if port, ok := annotations["prometheus.io/port"]; ok {
		flag, found := pc.flagOfPort(port)
		if !found || !serves(pc.table.command, flag, annotations["prometheus.io/path"]) {
			errs = append(errs, fmt.Errorf("%s: prometheus.io/port %s: no /metrics there", pc.where, port))
		}
	}
	return errs
}

// oneShot reports a run that ends (pixcdn origin … migrate): it listens
// on nothing and needs no probes.
func (pc *pixcdnContainer) oneShot() bool {
	return pc.table.positionals[pc.c.Args[len(pc.c.Args)-1]]
}
