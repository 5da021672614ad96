package deploy_test

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"pixcdn/internal/config"
)

// externalSecrets are the Secrets a kustomization references but does not
// make: created by the operator or by CloudNativePG (docs/deploy.md).
var externalSecrets = map[string][]string{
	"base":                {"pixcdn-cluster", "pixcdn-edge-origin-key", "pixcdn-origin-admin", "pixcdn-postgres", "pixcdn-s3"},
	"overlays/production": {"pixcdn-cluster", "pixcdn-edge-origin-key", "pixcdn-origin-admin", "pixcdn-db-app", "pixcdn-s3"},
}

// workload is one pod template and what owns it.
type workload struct {
	name   string
	labels map[string]string
	annot  map[string]string
	spec   *corev1.PodSpec
	sts    *appsv1.StatefulSet
}

// deployment is what one kustomize build applies.
type deployment struct {
	workloads  []workload
	services   []*corev1.Service
	secrets    map[string]bool
	containers []*pixcdnContainer
	errs       []error
}

func (d *deployment) fail(format string, a ...any) { d.errs = append(d.errs, fmt.Errorf(format, a...)) }

// checkDeployment applies every rule to a build's objects; external names
// the Secrets that may be referenced without being built.
func checkDeployment(t *testing.T, tables map[string]*flagTable, objs []runtime.Object, external []string) {
	t.Helper()
	d := &deployment{secrets: map[string]bool{}}
	for _, name := range external {
		d.secrets[name] = true
	}
	var ingresses []*networkingv1.Ingress
	for _, obj := range objs {
		switch o := obj.(type) {
		case *appsv1.StatefulSet:
			d.workloads = append(d.workloads, workload{"StatefulSet " + o.Name, o.Spec.Template.Labels, o.Spec.Template.Annotations, &o.Spec.Template.Spec, o})
		case *appsv1.Deployment:
			d.workloads = append(d.workloads, workload{"Deployment " + o.Name, o.Spec.Template.Labels, o.Spec.Template.Annotations, &o.Spec.Template.Spec, nil})
		case *batchv1.Job:
			d.workloads = append(d.workloads, workload{"Job " + o.Name, o.Spec.Template.Labels, o.Spec.Template.Annotations, &o.Spec.Template.Spec, nil})
		case *corev1.Service:
			d.services = append(d.services, o)
		case *corev1.Secret:
			d.secrets[o.Name] = true
		case *networkingv1.Ingress:
			ingresses = append(ingresses, o)
		}
	}
	for _, w := range d.workloads {
		d.checkWorkload(tables, w)
	}
	if len(d.containers) < 3 {
		d.fail("only %d pixcdn containers: want edge, origin and the migration", len(d.containers))
	}
	d.checkServices(ingresses)
	d.checkWiring()
	for _, err := range d.errs {
		t.Error(err)
	}
}

func (d *deployment) checkWorkload(tables map[string]*flagTable, w workload) {
	for _, name := range referencedSecrets(w.spec) {
		if !d.secrets[name] {
			d.fail("%s: Secret %s is neither built nor an external Secret of this kustomization", w.name, name)
		}
	}
	for i := range w.spec.Containers {
		c := &w.spec.Containers[i]
		if len(c.Command) == 0 || c.Command[0] != "pixcdn" {
			continue
		}
		where := w.name + " container " + c.Name
		if w.spec.EnableServiceLinks == nil || *w.spec.EnableServiceLinks {
			d.fail("%s: enableServiceLinks must be false (service variables look like PIXCDN_* settings)", w.name)
		}
		pc, errs := parsePixcdnContainer(where, w.spec, c, tables)
		d.errs = append(d.errs, errs...)
		if pc == nil {
			continue
		}
		d.errs = append(d.errs, pc.checkSecretFiles()...)
		if !pc.oneShot() {
			d.errs = append(d.errs, pc.checkPorts()...)
			d.errs = append(d.errs, pc.checkProbes(w.annot)...)
		}
		if w.sts != nil {
			d.checkEdgeStatefulSet(w.sts, pc)
		}
		pc.podLabels = w.labels
		d.containers = append(d.containers, pc)
	}
}

func referencedSecrets(spec *corev1.PodSpec) []string {
	var names []string
	for _, v := range spec.Volumes {
		if v.Secret != nil {
			names = append(names, v.Secret.SecretName)
		}
		if v.Projected != nil {
			for _, src := range v.Projected.Sources {
				if src.Secret != nil {
					names = append(names, src.Secret.Name)
				}
			}
		}
	}
	for _, c := range spec.Containers {
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				names = append(names, e.ValueFrom.SecretKeyRef.Name)
			}
		}
	}
	return names
}

// checkEdgeStatefulSet checks the edge's stable name, gossip seeds and
// cache volume against the StatefulSet that runs it.
func (d *deployment) checkEdgeStatefulSet(sts *appsv1.StatefulSet, pc *pixcdnContainer) {
	where := pc.where
	if name := pc.settings["name"]; name != "$(POD_NAME)" || !envFromField(pc.c, "POD_NAME", "metadata.name") {
		d.fail("%s: --name=%s: want $(POD_NAME) from metadata.name, the stable pod name", where, name)
	}
	headless := d.service(sts.Spec.ServiceName)
	if headless == nil || headless.Spec.ClusterIP != corev1.ClusterIPNone || !headless.Spec.PublishNotReadyAddresses {
		d.fail("%s: serviceName %q is not a headless Service publishing not-ready pods", where, sts.Spec.ServiceName)
	}
	_, gossipPort, _ := net.SplitHostPort(pc.settings["gossip"])
	for _, seed := range strings.Split(pc.settings["join"], ",") {
		host, port, err := net.SplitHostPort(seed)
		if err != nil || !strings.HasSuffix(strings.SplitN(host, ".", 2)[0], sts.Spec.ServiceName) || port != gossipPort {
			d.fail("%s: --join seed %q is not the headless Service %s on the gossip port %s", where, seed, sts.Spec.ServiceName, gossipPort)
		}
	}
	dir := pc.settings["cache-dir"]
	var claim *corev1.PersistentVolumeClaim
	for _, m := range pc.c.VolumeMounts {
		for i := range sts.Spec.VolumeClaimTemplates {
			if m.MountPath == dir && sts.Spec.VolumeClaimTemplates[i].Name == m.Name {
				claim = &sts.Spec.VolumeClaimTemplates[i]
			}
		}
	}
	if claim == nil {
		d.fail("%s: --cache-dir=%s is not a volume of the claim templates", where, dir)
		return
	}
	var size config.Bytes
	if err := size.UnmarshalText([]byte(pc.settings["cache-size"])); err != nil {
		d.fail("%s: cache-size %q: %v", where, pc.settings["cache-size"], err)
		return
	}
	storage := claim.Spec.Resources.Requests[corev1.ResourceStorage]
	if limit := storage.Value() * 85 / 100; int64(size) > limit {
		d.fail("%s: cache-size %s exceeds 85%% of the %s claim (the index and compaction need room)", where, pc.settings["cache-size"], storage.String())
	}
}

func envFromField(c *corev1.Container, name, fieldPath string) bool {
	return slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool {
		return e.Name == name && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == fieldPath
	})
}

func (d *deployment) service(name string) *corev1.Service {
	for _, s := range d.services {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// backends returns the pixcdn listen flags a Service port reaches.
func (d *deployment) backends(s *corev1.Service, port corev1.ServicePort) []string {
	var flags []string
	for _, pc := range d.containers {
		if len(s.Spec.Selector) == 0 || !labels.SelectorFromSet(s.Spec.Selector).Matches(labels.Set(pc.podLabels)) {
			continue
		}
		if flag, ok := pc.flagOfPort(port.TargetPort.String()); ok {
			flags = append(flags, pc.table.command+" --"+flag)
		}
	}
	return flags
}

// checkServices requires every Service port to reach a pixcdn listener and
// keeps the edges' internal and gossip ports off anything public.
func (d *deployment) checkServices(ingresses []*networkingv1.Ingress) {
	public := map[string]bool{}
	for _, in := range ingresses {
		for _, r := range in.Spec.Rules {
			if r.HTTP == nil {
				continue
			}
			for _, p := range r.HTTP.Paths {
				if p.Backend.Service != nil {
					public[p.Backend.Service.Name] = true
				}
			}
		}
	}
	for _, s := range d.services {
		exposed := public[s.Name] || s.Spec.Type == corev1.ServiceTypeLoadBalancer ||
			s.Spec.Type == corev1.ServiceTypeNodePort || len(s.Spec.ExternalIPs) > 0
		for _, port := range s.Spec.Ports {
			backends := d.backends(s, port)
			if len(backends) == 0 && isPixcdnService(s) {
				d.fail("Service %s port %s: targetPort %s reaches no pixcdn listener", s.Name, port.Name, port.TargetPort.String())
			}
			for _, b := range backends {
				if exposed && (b == "edge --internal" || b == "edge --gossip") {
					d.fail("Service %s exposes %s publicly: only the public port may be", s.Name, b)
				}
			}
		}
	}
}

func isPixcdnService(s *corev1.Service) bool {
	return strings.HasPrefix(s.Spec.Selector["app.kubernetes.io/name"], "pixcdn-edge") ||
		s.Spec.Selector["app.kubernetes.io/name"] == "pixcdn-origin"
}

// checkWiring follows the URLs one pixcdn gives another (the edges' origin,
// the origin's edges) to the Service and listener they reach.
func (d *deployment) checkWiring() {
	for _, pc := range d.containers {
		want := map[string]string{"origin": "origin --listen", "edges": "edge --internal"}
		for flag, backend := range want {
			if pc.oneShot() || !pc.table.flags[flag] {
				continue
			}
			for _, raw := range strings.Split(pc.settings[flag], ",") {
				if !d.reaches(raw, backend) {
					d.fail("%s: --%s=%s does not reach a Service in front of %s", pc.where, flag, raw, backend)
				}
			}
		}
	}
}

func (d *deployment) reaches(raw, backend string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	s := d.service(strings.SplitN(u.Hostname(), ".", 2)[0])
	if s == nil {
		return false
	}
	for _, port := range s.Spec.Ports {
		if fmt.Sprint(port.Port) == u.Port() && slices.Contains(d.backends(s, port), backend) {
			return true
		}
	}
	return false
}
